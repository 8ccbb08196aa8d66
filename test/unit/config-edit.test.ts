/** `dib add`'s edit of the config's elements: the author's layout, quotes and comments kept. */
import test from 'ava';
import fs from 'fs-extra';
import path from 'node:path';
import { addElementToConfig, addToSourceConfig } from '#core/scaffold/config-edit.js';
import { configTemplate } from '#core/scaffold/config.js';
import { tmpDir } from '../helpers/tmp.js';

test('one-line, multi-line, empty and double-quoted lists', (t) => {
  t.is(addToSourceConfig("export default { elements: ['vm', 'debian-minimal'] };", 'motd', 'f.ts'), "export default { elements: ['vm', 'debian-minimal', 'motd'] };");
  t.is(addToSourceConfig('export default { elements: [] };', 'motd', 'f.ts'), "export default { elements: ['motd'] };");
  t.is(addToSourceConfig('export default { "elements": ["vm"] };', 'motd', 'f.js'), 'export default { "elements": ["vm", "motd"] };');
  t.is(
    addToSourceConfig("defineConfig({\n  elements: [\n    'vm',\n    'debian-minimal', // the OS\n  ],\n});", 'motd', 'f.ts'),
    "defineConfig({\n  elements: [\n    'vm',\n    'debian-minimal', // the OS\n    'motd',\n  ],\n});",
  );
  t.is(addToSourceConfig("defineConfig({\n  elements: [\n    'vm'\n  ],\n});", 'motd', 'f.ts'), "defineConfig({\n  elements: [\n    'vm',\n    'motd',\n  ],\n});");
  // already there: unchanged
  const text = "export default { elements: ['vm', 'motd'] };";
  t.is(addToSourceConfig(text, 'motd', 'f.ts'), text);
});

test('comments and strings that mention elements are not the list', (t) => {
  const src = "// elements: ['old']\n/* elements: [] */\nconst note = 'elements: [x]';\nexport default { elements: ['vm'] };";
  t.is(addToSourceConfig(src, 'motd', 'f.ts'), src.replace("['vm']", "['vm', 'motd']"));
  const e = t.throws(() => addToSourceConfig('export default makeConfig();', 'motd', 'dib.config.ts'));
  t.is(e!.message, "dib.config.ts: no `elements: [ … ]` list to add 'motd' to");
});

test("the config dib init writes, and JSON, YAML and package.json#dib configs", async (t) => {
  const dir = await tmpDir('dib-add-');
  const ts = path.join(dir, 'dib.config.ts');
  await fs.writeFile(ts, configTemplate({ elements: ['busybox-root'] }));
  t.true(addElementToConfig(ts, 'motd'));
  t.regex(await fs.readFile(ts, 'utf8'), /^ {2}elements: \['busybox-root', 'motd'\],$/m);
  t.false(addElementToConfig(ts, 'motd'));
  const json = path.join(dir, '.dibrc.json');
  await fs.writeFile(json, '{\n    "elements": ["vm"]\n}\n');
  t.true(addElementToConfig(json, 'motd'));
  t.is(await fs.readFile(json, 'utf8'), '{\n    "elements": [\n        "vm",\n        "motd"\n    ]\n}\n');
  const yaml = path.join(dir, '.dibrc.yaml');
  await fs.writeFile(yaml, '# my image\nelements:\n  - vm # a disk\nname: x\n');
  t.true(addElementToConfig(yaml, 'motd'));
  t.is(await fs.readFile(yaml, 'utf8'), '# my image\nelements:\n  - vm # a disk\n  - motd\nname: x\n');
  const pj = path.join(dir, 'package.json');
  await fs.writeJson(pj, { name: 'p', dib: { elements: ['vm'] } }, { spaces: 2 });
  t.true(addElementToConfig(pj, 'motd'));
  t.deepEqual((await fs.readJson(pj)).dib.elements, ['vm', 'motd']);
});
