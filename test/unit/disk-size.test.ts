import test from 'ava';
import { parseAbsoluteSize, parseSizeSpec, sizeToBytes, alignUp, alignDown } from '#core/disk/size.js';
import { formatBytes } from '@dib/core';

test('binary units', (t) => {
  t.is(sizeToBytes('1KiB'), 1024);
  t.is(sizeToBytes('8MiB'), 8 * 1024 ** 2);
  t.is(sizeToBytes('550 MiB'), 550 * 1024 ** 2);
  t.is(sizeToBytes('2GiB'), 2 * 1024 ** 3);
  t.is(sizeToBytes('1TiB'), 1024 ** 4);
  t.is(sizeToBytes('1.5GiB'), 1.5 * 1024 ** 3);
});

test('decimal units and bare letters are decimal', (t) => {
  t.is(sizeToBytes('1KB'), 1000);
  t.is(sizeToBytes('3MB'), 3e6);
  t.is(sizeToBytes('2GB'), 2e9);
  t.is(sizeToBytes('1TB'), 1e12);
  t.is(sizeToBytes('4K'), 4000);
  t.is(sizeToBytes('4M'), 4e6);
  t.is(sizeToBytes('4G'), 4e9);
  t.is(sizeToBytes('1T'), 1e12);
});

test('bytes: B, no unit, numbers', (t) => {
  t.is(sizeToBytes('512B'), 512);
  t.is(sizeToBytes('512'), 512);
  t.is(sizeToBytes('512 B'), 512);
  t.is(sizeToBytes(4096), 4096);
});

test('percentages', (t) => {
  t.deepEqual(parseSizeSpec('100%'), { kind: 'percent', percent: 100 });
  t.deepEqual(parseSizeSpec('23 %'), { kind: 'percent', percent: 23 });
  t.deepEqual(parseSizeSpec('8MiB'), { kind: 'bytes', bytes: 8 * 1024 ** 2 });
  t.true('error' in parseSizeSpec('0%'));
  t.true('error' in parseSizeSpec('101%'));
});

test('bad sizes give an error text naming the problem', (t) => {
  const r = parseAbsoluteSize('10 XB');
  t.true('error' in r && /unknown unit 'XB'/.test(r.error));
  t.true('error' in parseAbsoluteSize('MiB'));
  t.true('error' in parseAbsoluteSize('-1'));
  t.true('error' in parseAbsoluteSize(-5));
  t.true('error' in parseAbsoluteSize(null));
  t.true('error' in parseAbsoluteSize('50%'));
  t.throws(() => sizeToBytes('lots'));
});

test('formatting and alignment', (t) => {
  t.is(formatBytes(1024 ** 3), '1 GiB');
  t.is(formatBytes(1.5 * 1024 ** 2), '1.5 MiB');
  t.is(formatBytes(12), '12 B');
  t.is(alignUp(1, 4096), 4096);
  t.is(alignUp(4096, 4096), 4096);
  t.is(alignDown(8191, 4096), 4096);
});
