/**
 * Registers the optional backends. Each is loaded lazily (dynamic import) so that importing
 * neurite costs nothing for backends that are never used, and browser bundles can drop them.
 */
import { registerBackend } from "./registry.js";

export {};
void registerBackend;
