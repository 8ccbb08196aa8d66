/** The software bill of materials of an image: SPDX 2.3 and CycloneDX 1.5 documents. */
export { spdxDocument } from './spdx.js';
export { cyclonedxDocument } from './cyclonedx.js';
export { packageUrl, type PackageUrlParts } from './purl.js';
export { readOsRelease, parseOsRelease, distroQualifier } from './os-release.js';
export { documentUuid, licenseRefsIn } from './ids.js';
export type { ImageInventory, InventoryPackage, LicenseRef, OsRelease, SbomInput, SbomOutput, SbomTool } from './types.js';
