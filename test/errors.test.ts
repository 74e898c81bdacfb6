import { test } from "node:test";
import assert from "node:assert/strict";
import * as nt from "../src/index.js";
import { nativeStatus } from "../src/backend/register-native.js";

const native = (await nativeStatus()).available ? ["native"] : [];

// Bad input gets an error that names the operation, the shapes/dtypes and what was expected.
test("shape errors name the op and the shapes", () => {
  nt.tidy(() => {
    assert.throws(() => nt.ones([3, 4]).matmul(nt.ones([5, 6])), /matmul: shapes \[3, 4\] and \[5, 6\] do not align \(4 != 5\)/);
    assert.throws(() => nt.ones([3, 4]).add(nt.ones([2, 4])), /add: shapes \[3, 4\] and \[2, 4\] cannot be broadcast together/);
    assert.throws(() => nt.ones([6]).reshape(4, 2), /reshape: shape \[4, 2\] is invalid for input of shape \[6\]/);
    assert.throws(() => nt.ones([2, 3]).T.view(6), /view: .*cannot be viewed as \[6\] without a copy; use reshape\(\)/);
    assert.throws(() => nt.cat([nt.ones([2, 3]), nt.ones([3, 3])], 1), /cat: tensor 1 has shape \[3, 3\], expected \[2, 3\] except in dim 1/);
    assert.throws(() => nt.ones([2, 3]).sum(2), /sum: dim 2 is out of range for a tensor of rank 2/);
    assert.throws(() => nt.ones([2]).expand(3, 3), /expand: cannot expand shape \[2\] to \[3, 3\]/);
    const lin = new nt.nn.Linear(4, 2);
    assert.throws(() => lin.forward(nt.ones([3, 5])), /linear: input of shape \[3, 5\] does not match weight of shape \[2, 4\]/);
  });
});

test("dtype errors name what was expected", () => {
  nt.tidy(() => {
    assert.throws(() => nt.tensor([1, 2, 3]).requiresGrad_(), /requiresGrad: only floating-point tensors can require gradients \(got int32\)/);
    assert.throws(() => nt.F.crossEntropy(nt.ones([2, 3]), nt.tensor([0.5, 1.5]).reshape(2)), /crossEntropy: input shape \[2, 3\] and target shape \[2\] must match/);
    assert.throws(() => nt.ones([2, 3]).maskedFill(nt.ones([2, 3]), 0), /maskedFill: mask must be a bool tensor, got float32/);
    assert.throws(() => nt.gather(nt.ones([2, 3]), 1, nt.ones([2, 1])), /gather: index must be an int32 tensor, got float32/);
    assert.throws(() => nt.tensor([1], { dtype: "complex64" as nt.DType }), /tensor: unknown dtype 'complex64'/);
  });
});

// cpu scans indices before the kernel; wasm's and native's kernels check them and the scan runs only on failure.
for (const backend of ["cpu", "wasm", ...native]) test(`out-of-range indices are reported with the bound (${backend})`, async () => {
  const previous = nt.getBackend();
  await nt.setBackend(backend);
  try {
    nt.tidy(() => {
      const x = nt.ones([3, 4]);
      assert.throws(() => x.gather(1, nt.tensor([[4]])), /gather: index 4 is out of bounds for dim 1 with size 4/);
      assert.throws(() => x.indexSelect(0, [0, 3]), /indexSelect: index 3 is out of bounds for dim 0 with size 3/);
      assert.throws(() => x.index(5), /index: index 5 is out of range for dim 0 of size 3/);
      assert.throws(() => x.narrow(1, 2, 3), /narrow: start 2 and length 3 are out of range for dim 1 of size 4/);
      assert.throws(() => nt.F.crossEntropy(x, nt.tensor([0, 4, 1])), /crossEntropy: target 4 is out of bounds for 4 classes \(sample 1\)/);
      const emb = new nt.nn.Embedding(5, 2);
      assert.throws(() => emb.forward(nt.tensor([1, 7])), /indexSelect: index 7 is out of bounds for dim 0 with size 5/);
      assert.throws(() => nt.scatterAdd([2, 3], 1, nt.tensor([[0, 3]]), nt.ones([1, 2])), /scatterAdd: index 3 is out of bounds for dim 1 with size 3/);
    });
  } finally {
    await nt.setBackend(previous);
  }
});

test("backward on a non-scalar without a gradient is refused", () => {
  nt.tidy(() => {
    const w = nt.ones([2, 2], { requiresGrad: true });
    assert.throws(() => w.mul(2).backward(), /backward: grad can be implicitly created only for scalar outputs, but the tensor has shape \[2, 2\]/);
    assert.throws(() => w.mul(2).backward(nt.ones([3])), /backward: gradient of shape \[3\] does not match the tensor's shape \[2, 2\]/);
    assert.throws(() => nt.ones([2]).sum().backward(), /does not require grad/);
    const y = w.mul(w).sum();
    y.backward();
    assert.throws(() => y.backward(), /already released/);
  });
});

test("loadStateDict reports missing, unexpected and mis-shaped keys", () => {
  nt.tidy(() => {
    const model = new nt.nn.Sequential(new nt.nn.Linear(4, 3), new nt.nn.ReLU(), new nt.nn.Linear(3, 2));
    const good = model.stateDict();
    const missing = new Map(good);
    missing.delete("2.bias");
    assert.throws(() => model.loadStateDict(missing), /Missing key\(s\) in state_dict: "2.bias"/);
    const extra = new Map(good);
    extra.set("3.weight", nt.ones([1]));
    assert.throws(() => model.loadStateDict(extra), /Unexpected key\(s\) in state_dict: "3.weight"/);
    const wrong = new Map(good);
    wrong.set("0.weight", nt.ones([3, 5]));
    assert.throws(() => model.loadStateDict(wrong), /size mismatch for 0.weight: copying a param with shape \[3, 5\] from checkpoint, the shape in current model is \[3, 4\]/);
    const result = model.loadStateDict(missing, { strict: false });
    assert.deepEqual(result.missingKeys, ["2.bias"]);
  });
});

test("in-place updates of leaves that require grad are refused while recording", () => {
  const w = nt.ones([2], { requiresGrad: true });
  assert.throws(() => w.fill_(3), /fill_: a tensor that requires grad .* cannot be modified in place/);
  nt.noGrad(() => w.fill_(3));
  assert.deepEqual([...w.dataSync()], [3, 3]);
});
