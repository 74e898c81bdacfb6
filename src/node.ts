/**
 * neurite's entry for Node (the "node" export condition of "neurite", also "neurite/node"):
 * the whole browser-safe API of index.ts, with the namespaces that gain Node-only members
 * (PNG files, the training report, sample-grid files) replaced by their Node variants. Browser
 * bundles resolve "neurite" to index.ts and never see pngjs, vega or resvg.
 */
// The native backend (Node-API addon) is known only here, never in browser bundles. Registered
// before index.js runs, so that the default-backend choice (register-all.ts) sees it.
import "./backend/register-native.js";
export * from "./index.js";
export * as data from "./data/node.js";
export * as train from "./train/node.js";
export * as diffusion from "./diffusion/node.js";
