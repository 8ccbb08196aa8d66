/**
 * DIB's cache-url element: the `cache-url [-f] URL DEST` helper (bin/cache-url), which DIB
 * scripts call as `$TMP_HOOKS_PATH/bin/cache-url` on the host (dib puts every element's bin/
 * there) and which install-bin puts in the image's /usr/local/bin, with curl, which it needs,
 * installed in the image.
 */
import { fileURLToPath } from 'node:url';
import { defineElement } from '@dib/core';

/** Host path of the cache-url tool shipped with this element. */
export const CACHE_URL_TOOL = fileURLToPath(new URL('../bin/cache-url', import.meta.url));

/** Downloads into a local cache: the cache-url helper, and curl in the image. */
export default defineElement({
  name: 'cache-url',
  description: 'The cache-url download helper (bin/cache-url) for DIB scripts, and curl in the image.',
  deps: ['package-installs'],
  provides: [],
  packages: { curl: null },
  pkgMap: { distro: { gentoo: { curl: 'net-misc/curl' } } },
  hostTools: [{ command: 'curl', package: 'curl', why: 'cache-url downloads with curl on the host' }],
});
