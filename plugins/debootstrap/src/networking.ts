/** Contents of the files debian-networking writes (pure). */

export function hostsFile(hostname: string): string {
  return [
    '127.0.0.1\tlocalhost',
    `127.0.1.1\t${hostname}`,
    '',
    '# The following lines are desirable for IPv6 capable hosts',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'ff02::1\tip6-allnodes',
    'ff02::2\tip6-allrouters',
    '',
  ].join('\n');
}

/** /etc/network/interfaces.d/<name>: DHCP, as DIB writes it. */
export function interfaceStanza(name: string): string {
  return `auto ${name}\niface ${name} inet dhcp\n`;
}

export const INTERFACES_SOURCE_LINE = 'source /etc/network/interfaces.d/*';

/** /etc/network/interfaces with the `source` line added unless it (or source-directory) is there. */
export function interfacesWithSource(current: string | undefined): string | undefined {
  const text = current ?? '';
  if (/^source(-directory)? \/etc\/network\/interfaces\.d\/\*/m.test(text)) return undefined;
  return (text && !text.endsWith('\n') ? `${text}\n` : text) + `${INTERFACES_SOURCE_LINE}\n`;
}

/**
 * systemd-networkd: DHCP on the configured names and on predictable names (en*), so a VM
 * gets an address whatever the kernel calls its NIC.
 */
export function networkdFile(interfaceNames: readonly string[]): string {
  const names = [...new Set([...interfaceNames, 'en*', 'eth*'])];
  return ['# written by dib (debootstrap element)', '[Match]', `Name=${names.join(' ')}`, '', '[Network]', 'DHCP=yes', ''].join('\n');
}

/** `de_DE.UTF-8` → `de_DE.UTF-8 UTF-8` (a locale.gen line), undefined for C/POSIX locales. */
export function localeGenLine(locale: string): string | undefined {
  if (!locale || /^(C|POSIX)(\..*)?$/.test(locale)) return undefined;
  const m = /^([^.@]+)(\.([^@]+))?(@.*)?$/.exec(locale);
  if (!m) return undefined;
  const charset = m[3] ? m[3].toUpperCase().replace(/^UTF8$/, 'UTF-8') : 'ISO-8859-1';
  return `${locale} ${charset}`;
}

/** Enable `lines` in a locale.gen text (uncomment or append). */
export function enableLocales(localeGen: string, lines: readonly string[]): string {
  let text = localeGen;
  for (const line of lines) {
    const esc = line.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    if (new RegExp(`^${esc}[ \\t]*$`, 'm').test(text)) continue;
    const commented = new RegExp(`^#[ \\t]*${esc}[ \\t]*$`, 'm');
    if (commented.test(text)) text = text.replace(commented, line);
    else text = (text && !text.endsWith('\n') ? `${text}\n` : text) + `${line}\n`;
  }
  return text;
}

/**
 * A drop-in for systemd-networkd-wait-online: wait for any one interface, at most 30 s. The
 * default waits for every managed link, up to two minutes, which stalls every boot of an image
 * started without a network (or with fewer NICs than names).
 */
export function waitOnlineDropIn(): string {
  return ['# written by dib (debootstrap element)', '[Service]', 'ExecStart=', 'ExecStart=/lib/systemd/systemd-networkd-wait-online --any --timeout=30', ''].join('\n');
}
