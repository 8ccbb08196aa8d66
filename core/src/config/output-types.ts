/** Output types dib can write (`-t`); kept free of imports so output/ can use it cheaply. */
export const OUTPUT_TYPES = ['raw', 'qcow2', 'vhd', 'tar', 'tgz', 'squashfs'] as const;
export type OutputType = (typeof OUTPUT_TYPES)[number];
