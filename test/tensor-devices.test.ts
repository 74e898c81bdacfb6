// Moving tensors between backends: t.to(device) (synchronous source read) and
// await t.toAsync(device) (any source, webgpu included), for every pair of backends here.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as nt from "../src/index.js";
import { backendsUnderTest } from "./helpers/backends.js";

const backends = await backendsUnderTest();

for (const from of backends) {
  for (const to of backends) {
    test(`${from} → ${to}: values, shape and dtype survive; a strided view is copied compactly`, async () => {
      const base = nt.tensor([[1.5, -2, 3], [4, 5.25, -6]], { device: from });
      const view = base.transpose(0, 1); // [3, 2], not contiguous
      const ints = nt.tensor([7, -8, 9], { dtype: "int32", device: from });
      const moved = await view.toAsync(to);
      const movedInts = await ints.toAsync(to);
      assert.equal(moved.device, to);
      assert.deepEqual(moved.shape, [3, 2]);
      assert.deepEqual(await moved.tolist(), [[1.5, 4], [-2, 5.25], [3, -6]]);
      assert.equal(movedInts.dtype, "int32");
      assert.deepEqual(await movedInts.tolist(), [7, -8, 9]);
      if (from === to) {
        assert.equal(view.to(to), view, "to() the same device returns the tensor itself");
      } else if (from !== "webgpu") {
        assert.deepEqual(await view.to(to).tolist(), [[1.5, 4], [-2, 5.25], [3, -6]]);
      } else {
        assert.throws(() => view.to(to), /to: a tensor on 'webgpu' \(shape \[3, 2\], float32\) can only be read asynchronously; use await t\.toAsync\("\w+"\)/);
      }
      for (const t of [base, view, ints, moved, movedInts]) t.dispose();
    });
  }
}

test("toAsync on a disposed tensor and to an unknown device fail with the operation's name", async () => {
  const t = nt.tensor([1, 2, 3]);
  await assert.rejects(t.toAsync("nope"), /toAsync.*nope/);
  t.dispose();
  await assert.rejects(t.toAsync("cpu"), /toAsync/);
});
