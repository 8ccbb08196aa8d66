/**
 * Which `dib` package runs this process: set by the `dib` command before it hands the command
 * line to the core. Element resolution searches this install after the project (the built-in
 * elements are its dependencies), and `dib doctor` reports it, with the global dib that handed
 * over to it when there was one.
 */
export interface DibInstall {
  /** real path of the `dib` package directory */
  dir: string;
  version: string;
  /** a global (or other non-project) dib that found this project's dib and handed over to it */
  handedOverFrom?: { dir: string; version: string };
}

let current: DibInstall | undefined;

export function setDibInstall(install: DibInstall): void {
  current = install;
}

/** undefined when the core runs without the `dib` package (the repository, a test, an API user) */
export function dibInstall(): DibInstall | undefined {
  return current;
}
