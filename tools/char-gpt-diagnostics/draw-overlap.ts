/**
 * Does any uniform draw of the char-gpt initialisation recur among the draws that follow it
 * (three training-mode forwards: the dropout masks)? Prints the counts; hits should be 0.
 *
 *   node --import tsx tools/char-gpt-diagnostics/draw-overlap.ts
 */
import * as nt from "../../src/index.js";
import { createCharGpt } from "../../models/index.js";

await nt.setBackend("wasm");
const g = nt.defaultGenerator;
const draw = g.random.bind(g);
const initDraws = new Set<number>();
let initialising = true;
let later = 0;
let hits = 0;
g.random = () => {
  const u = draw();
  if (initialising) initDraws.add(u);
  else {
    later++;
    if (initDraws.has(u)) hits++;
  }
  return u;
};
nt.manualSeed(0);
const model = createCharGpt({ vocabSize: 106, blockSize: 64 });
initialising = false;
model.train();
const x = nt.randint(0, 106, [32, 64], { dtype: "int32" });
for (let i = 0; i < 3; i++) nt.tidy(() => void model.forward(x).sum().dataSync());
console.log({ initDraws: initDraws.size, later, hits });
