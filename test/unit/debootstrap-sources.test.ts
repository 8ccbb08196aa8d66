import test from 'ava';
import { isDibError } from '@dib/core';
import { debLines, parseSourcesConf, sourcesListFiles } from '@dib/element-debootstrap';
import { enableLocales, hostsFile, interfacesWithSource, interfaceStanza, localeGenLine, networkdFile } from '#plugins/debootstrap/dist/networking.js';

test('DIB_APT_SOURCES_CONF: name:line per line, split at the first colon', (t) => {
  const conf = 'default:deb http://deb.debian.org/debian bookworm main\n\n  security:deb http://security.debian.org/debian-security bookworm-security main  \n';
  t.deepEqual(parseSourcesConf(conf), [
    { name: 'default', line: 'deb http://deb.debian.org/debian bookworm main' },
    { name: 'security', line: 'deb http://security.debian.org/debian-security bookworm-security main' },
  ]);
  t.deepEqual([...sourcesListFiles(parseSourcesConf(conf)).keys()], ['default.list', 'security.list']);
  t.is(sourcesListFiles(parseSourcesConf(conf)).get('default.list'), 'deb http://deb.debian.org/debian bookworm main\n');
});

test('entries with the same name share one file; deb-src is kept out of the bootstrap lines', (t) => {
  const e = parseSourcesConf('x:deb http://a/ r main\nx:deb-src http://a/ r main');
  t.is(sourcesListFiles(e).get('x.list'), 'deb http://a/ r main\ndeb-src http://a/ r main\n');
  t.deepEqual(debLines(e), ['deb http://a/ r main']);
});

test('malformed entries are config errors', (t) => {
  for (const bad of ['deb http://a/ r main', ':deb http://a/ r main', 'x:', '../x:deb http://a/ r main', 'x:http://a/ r main']) {
    const err = t.throws(() => parseSourcesConf(bad));
    t.true(isDibError(err) && err.code === 'E_CONFIG_VALUE', bad);
    t.regex(err!.message, /DIB_APT_SOURCES_CONF/);
  }
});

test('networking files', (t) => {
  t.regex(hostsFile('debian'), /^127\.0\.0\.1\tlocalhost\n127\.0\.1\.1\tdebian\n/);
  t.is(interfaceStanza('eth0'), 'auto eth0\niface eth0 inet dhcp\n');
  t.is(interfacesWithSource(undefined), 'source /etc/network/interfaces.d/*\n');
  t.is(interfacesWithSource('auto lo\niface lo inet loopback'), 'auto lo\niface lo inet loopback\nsource /etc/network/interfaces.d/*\n');
  t.is(interfacesWithSource('source-directory /etc/network/interfaces.d/*\n'), undefined);
  t.is(interfacesWithSource('source /etc/network/interfaces.d/*\n'), undefined);
  const nd = networkdFile(['eth0', 'eth1']);
  t.regex(nd, /^Name=eth0 eth1 en\* eth\*$/m);
  t.regex(nd, /^DHCP=yes$/m);
});

test('locales', (t) => {
  t.is(localeGenLine('C.UTF-8'), undefined);
  t.is(localeGenLine('POSIX'), undefined);
  t.is(localeGenLine('de_DE.UTF-8'), 'de_DE.UTF-8 UTF-8');
  t.is(localeGenLine('de_DE.utf8'), 'de_DE.utf8 UTF-8');
  t.is(localeGenLine('en_GB'), 'en_GB ISO-8859-1');
  const gen = '# en_GB.UTF-8 UTF-8\n# en_US.UTF-8 UTF-8\n';
  t.is(enableLocales(gen, ['en_US.UTF-8 UTF-8']), '# en_GB.UTF-8 UTF-8\nen_US.UTF-8 UTF-8\n');
  t.is(enableLocales('en_US.UTF-8 UTF-8\n', ['en_US.UTF-8 UTF-8']), 'en_US.UTF-8 UTF-8\n');
  t.is(enableLocales('', ['fr_FR.UTF-8 UTF-8']), 'fr_FR.UTF-8 UTF-8\n');
});
