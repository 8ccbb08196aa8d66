import test from 'ava';
import { REDACTED, isSecretName, redactEnv, secretMasker } from '@dib/core';
import { redactAssignments } from '#core/util/secrets.js';

test('names that say secret, and names that only look like it', (t) => {
  for (const n of ['DIB_DEV_USER_PASSWORD', 'DIB_ROOT_PASSWD', 'GITHUB_TOKEN', 'AWS_SECRET_ACCESS_KEY', 'DIB_APIKEY', 'SSH_KEY', 'GPG_PASSPHRASE', 'DIB_REGISTRY_CREDENTIALS', 'dib_api_token', 'DIB_SECRETS']) t.true(isSecretName(n), n);
  for (const n of ['DIB_APT_KEYRING', 'DIB_ADD_APT_KEYS', 'DIB_DEV_USER_AUTHORIZED_KEYS', 'DIB_RELEASE', 'PATH', 'DIB_SECRET_VARS', 'KEYBOARD_LAYOUT']) t.false(isSecretName(n), n);
  t.true(isSecretName('MY_PIN', ['MY_PIN']));
  t.true(isSecretName('ACME_LICENSE', ['acme_*']));
});

test('redactEnv keeps empty values visible; the masker hides values in free text, longest first', (t) => {
  t.deepEqual(redactEnv({ A_TOKEN: 'abc', B_TOKEN: '', C: 'x', MY_PIN: '1234', DIB_SECRET_VARS: 'MY_PIN' }), { A_TOKEN: REDACTED, B_TOKEN: '', C: 'x', MY_PIN: REDACTED, DIB_SECRET_VARS: 'MY_PIN' });
  const mask = secretMasker({ X_TOKEN: 'abcdef', Y_TOKEN: 'abcdefgh', Z_KEY: 'no' });
  t.is(mask('a abcdefgh b abcdef c no'), `a ${REDACTED} b ${REDACTED} c no`);
  t.is(secretMasker({ A: 'b' })('same'), 'same');
});

test('command lines: NAME=value words of secret names', (t) => {
  t.is(redactAssignments('-e DIB_DEV_USER_PASSWORD=pw -e DIB_RELEASE=bookworm x'), `-e DIB_DEV_USER_PASSWORD=${REDACTED} -e DIB_RELEASE=bookworm x`);
});
