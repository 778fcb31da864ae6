// Types of phone-metadata.mjs for the tests that import it.
export function packPhoneMetadata(metadata: object): string;
