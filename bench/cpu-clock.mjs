// Preload for bench/op-table-regression.ts (`node --import ./bench/cpu-clock.mjs ...`): makes
// performance.now() read this process's CPU time (user + system, in ms) instead of wall time, so
// `neurite bench` from two source trees can be compared on a shared machine, where wall time
// swings with other processes' load. Meaningful for single-threaded runs (`--threads 1`): with
// worker threads, CPU time adds up over all of them.
const start = process.cpuUsage();
Object.defineProperty(performance, "now", {
  configurable: true,
  value: () => {
    const used = process.cpuUsage(start);
    return (used.user + used.system) / 1000;
  },
});
