/**
 * Upstream's block-device config tests run as data (block_device/tests/config/*.yaml, read from
 * the installed python3-diskimage-builder): every config upstream's tests accept, dib plans;
 * every one they reject, dib rejects with a path-named error; tree and graph forms of one
 * layout are the same graph (test_config.py, test_lvm.py); and what test_gpt, test_mkfs and
 * test_mount_order check of a plan holds for dib's.
 */
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { DibError } from '@dib/core';
import { planLayout, type LayoutParams } from '#core/disk/layout.js';
import { parseBlockDeviceConfig, toGraph } from '#core/disk/config.js';
import { HAVE_UPSTREAM, UPSTREAM_BLOCK_DEVICE_TESTS } from '../helpers/upstream.js';

const run = HAVE_UPSTREAM ? test : test.skip;
const P: LayoutParams = { fsType: 'ext4', arch: 'amd64' };
const load = (f: string): unknown => YAML.parse(readFileSync(path.join(UPSTREAM_BLOCK_DEVICE_TESTS, f), 'utf8'));

/** What upstream's tests do with each file: plan it, reject it (and why), or only convert it. */
const EXPECT: Record<string, { plan: true } | { reject: RegExp; path: RegExp } | { graphOnly: true }> = {
  'deep_graph.yaml': { plan: true },
  'deep_tree.yaml': { plan: true },
  'multiple_partitions_graph.yaml': { plan: true },
  'multiple_partitions_tree.yaml': { plan: true },
  'gpt_efi.yaml': { plan: true },
  'lvm_graph.yaml': { plan: true },
  'lvm_tree.yaml': { plan: true },
  'lvm_tree_multiple_partitions.yaml': { plan: true },
  'lvm_tree_multiple_pv.yaml': { plan: true },
  'lvm_tree_multiple_pv_vg.yaml': { plan: true },
  'lvm_tree_partition_ordering.yaml': { plan: true },
  'lvm_tree_spanned_vg.yaml': { plan: true },
  // config_tree_to_graph only (their mkfs has no partition to sit on)
  'simple_graph.yaml': { graphOnly: true },
  'simple_tree.yaml': { graphOnly: true },
  // test_config.py, test_mkfs.py
  'bad_plugin.yaml': { reject: /'this_is_not_a_plugin_name' is not a block-device plugin/, path: /blockDevice\[0\]\.this_is_not_a_plugin_name/ },
  'multi_key_node.yaml': { reject: /single-key map/, path: /blockDevice\[0\]/ },
  'bad_edge_graph.yaml': { reject: /base 'this_is_not_a_node' is not a partition/, path: /blockDevice\[4\]\.mkfs\.base/ },
  'duplicate_name.yaml': { reject: /name 'this_is_a_duplicate' is already used/, path: /blockDevice\[2\]\.mount\.name/ },
  'duplicate_fs_labels.yaml': { reject: /label 'duplicate' is already used/, path: /blockDevice\[5\]\.mkfs\.label/ },
  'too_long_fs_label.yaml': { reject: /too long for xfs/, path: /blockDevice\[0\]\.mkfs\.label/ },
  // test_state.py's configs use plugins registered only in upstream's test suite
  'cmd_create.yaml': { reject: /'test_a' is not a block-device plugin/, path: /blockDevice\[0\]\.test_a/ },
  'rollback.yaml': { reject: /'test_a' is not a block-device plugin/, path: /blockDevice\[0\]\.test_a/ },
};

run('every upstream config file is covered, and each is accepted or rejected as upstream does', (t) => {
  const files = readdirSync(UPSTREAM_BLOCK_DEVICE_TESTS).filter((f) => f.endsWith('.yaml')).sort();
  t.deepEqual(files, Object.keys(EXPECT).sort());
  for (const f of files) {
    const e = EXPECT[f]!;
    const config = load(f);
    if ('plan' in e) {
      const l = planLayout(config, f, P);
      t.true(l.filesystems.some((x) => x.mountPoint === '/'), f);
    } else if ('graphOnly' in e) {
      t.notThrows(() => parseBlockDeviceConfig(config, f), f);
    } else {
      const err = t.throws(() => planLayout(config, f, P), undefined, f) as DibError;
      t.is(err.code, 'E_BLOCK_DEVICE_CONFIG', f);
      t.regex(err.message, new RegExp(`^${f}: ${e.path.source}: `), f);
      t.regex(err.message, e.reject, f);
    }
  }
});

const canonical = (graph: unknown[]) => graph.map((n) => JSON.stringify(n, (_k, v) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort()) : v))).sort();

run('tree and graph forms are the same graph (simple, deep, multiple partitions, lvm)', (t) => {
  for (const [tree, graph] of [
    ['simple_tree.yaml', 'simple_graph.yaml'],
    ['deep_tree.yaml', 'deep_graph.yaml'],
    ['multiple_partitions_tree.yaml', 'multiple_partitions_graph.yaml'],
    ['lvm_tree.yaml', 'lvm_graph.yaml'],
  ] as const) {
    const fromTree = toGraph(parseBlockDeviceConfig(load(tree), tree));
    t.deepEqual(canonical(fromTree), canonical(load(graph) as unknown[]), `${tree} = ${graph}`);
    // and the graph file is already canonical
    t.deepEqual(canonical(toGraph(parseBlockDeviceConfig(load(graph), graph))), canonical(load(graph) as unknown[]), graph);
  }
});

run("what upstream's gpt, mkfs and mount-order tests check of a plan", (t) => {
  const gpt = planLayout(load('gpt_efi.yaml'), 'gpt_efi.yaml', P);
  t.deepEqual(gpt.partitions.map((p) => [p.number, p.name, p.typeCode]), [[1, 'ESP', 'EF00'], [2, 'BSP', 'EF02'], [3, 'Root Part', '8300']]);
  const multi = planLayout(load('multiple_partitions_graph.yaml'), 'multiple_partitions_graph.yaml', P);
  t.deepEqual(multi.mountPoints, ['/', '/var', '/var/log']);
  t.like(multi.filesystems.find((f) => f.name === 'mkfs_var'), { type: 'xfs', label: 'mkfs_var', uuid: 'var-uuid-1234' });
  t.like(multi.filesystems.find((f) => f.name === 'mkfs_var_log'), { type: 'vfat', label: 'VARLOG' });
  // free-form uuids are planned; mkfs cannot take them, so a disk of this config is refused
  t.true(multi.diskProblems.some((p) => /uuid/.test(p.path) && /root-uuid-1234/.test(p.problem)));
  t.deepEqual(planLayout(load('lvm_tree_partition_ordering.yaml'), 'x', P).mountPoints, ['/', '/boot', '/var']);
  // LVM: upstream's pvs, vgs and lvs
  const spanned = planLayout(load('lvm_tree_spanned_vg.yaml'), 'x', P).lvm!;
  t.deepEqual(spanned.vgs.map((v) => [v.name, v.pvs]), [['vg_root', ['pv_root']], ['vg_data', ['pv_data1', 'pv_data2']]]);
  t.deepEqual(spanned.pvs.map((p) => [p.name, p.partition]), [['pv_root', 'root'], ['pv_data1', 'data1'], ['pv_data2', 'data2']]);
  // the unknown key upstream ignores (fck-passno) is a warning, the ESP type on an MBR a disk problem
  const mp = planLayout(load('lvm_tree_multiple_partitions.yaml'), 'x', P);
  t.true(mp.warnings.some((w) => /unknown key 'fck-passno' \(did you mean 'fsck-passno'\?\)/.test(w)));
  t.true(mp.diskProblems.some((p) => /0xef00 does not fit/.test(p.problem)));
});
