/**
 * The output types built into dib (-t), kept free of imports so that config/ can use them
 * without loading the writers. Elements add more (the output-format registry,
 * output/formats.ts): a config's `types` is any name, checked against the build's registry.
 */
export const OUTPUT_TYPES = ['raw', 'qcow2', 'vhd', 'tar', 'tgz', 'squashfs'] as const;
/** A built-in output type. */
export type BuiltinOutputType = (typeof OUTPUT_TYPES)[number];
/** An output type: a built-in one or one an element adds (editors still complete the built-ins). */
export type OutputType = BuiltinOutputType | (string & {});
/** What an output type may be called. */
export const OUTPUT_TYPE_NAME = /^[a-z0-9][a-z0-9_-]*$/;
