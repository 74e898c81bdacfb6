/** `nt.nn.utils`: gradient clipping and parameter vector helpers. */
export { clipGradNorm_, clipGradValue_ } from "../optim/clip-grad.js";
