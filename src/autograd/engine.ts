import type { Tensor } from "../tensor/tensor.js";
import { shapeToString, shapesEqual } from "../tensor/shape.js";
import type { GradNode } from "./node.js";
import { noGrad } from "./grad-mode.js";
import { gradRules, type GradRule } from "../ops/grad-rules.js";
import type { DifferentiablePrim } from "../ops/prims.js";
import { tidy } from "../memory/tidy.js";
import { add } from "../ops/elementwise.js";
import { GradAccumulator, type Contribution } from "./grad-accumulator.js";
import { onesLike } from "../ops/creation.js";
import { isAnomalyEnabled } from "./anomaly.js";

export interface BackwardOptions {
  /** Keep the saved tensors so backward can run through the same graph again. */
  retainGraph?: boolean;
}

/** Nodes reachable from `root`, ordered so every node comes before the nodes it depends on. */
function topoOrder(root: GradNode): GradNode[] {
  const order: GradNode[] = [];
  const seen = new Set<GradNode>();
  // Iterative DFS (deep graphs such as long RNN unrolls would overflow the call stack).
  const stack: [GradNode, number][] = [[root, 0]];
  seen.add(root);
  while (stack.length) {
    const top = stack[stack.length - 1]!;
    const [node, i] = top;
    if (i < node.parents.length) {
      top[1]++;
      const p = node.parents[i]!.gradFn;
      if (p && !seen.has(p)) {
        seen.add(p);
        stack.push([p, 0]);
      }
    } else {
      stack.pop();
      order.push(node);
    }
  }
  return order.reverse();
}

/**
 * Reverse-mode differentiation from `root`: accumulates into `.grad` of every leaf that
 * requires gradients, then releases the graph's saved tensors.
 */
export function backward(root: Tensor, grad?: Tensor, options: BackwardOptions = {}): void {
  root.assertAlive("backward");
  if (!root.requiresGrad) {
    throw new Error(`backward: tensor of shape ${shapeToString(root.shape)} does not require grad and has no grad_fn`);
  }
  if (grad === undefined && root.size !== 1) {
    throw new RangeError(`backward: grad can be implicitly created only for scalar outputs, but the tensor has shape ${shapeToString(root.shape)}; pass a gradient of that shape`);
  }
  if (grad !== undefined && !shapesEqual(grad.shape, root.shape)) {
    throw new RangeError(`backward: gradient of shape ${shapeToString(grad.shape)} does not match the tensor's shape ${shapeToString(root.shape)}`);
  }
  noGrad(() =>
    tidy(() => {
      const seed = grad ?? onesLike(root);
      if (!root.gradFn) {
        accumulateLeaf(root, seed);
        return;
      }
      // Pending gradients keyed by the node that produced a tensor, or by the leaf tensor itself.
      const acc = new GradAccumulator<GradNode | Tensor>(grad ?? null);
      acc.push(root.gradFn, { kind: "dense", g: seed });
      const leaves: Tensor[] = [];
      for (const node of topoOrder(root.gradFn)) {
        const g = acc.take(node, node.outputShape);
        if (!g) {
          if (!options.retainGraph) node.release();
          continue;
        }
        const rule = gradRules[node.prim as DifferentiablePrim] as GradRule<DifferentiablePrim>;
        // Only differentiable prims get a GradNode (dispatch.ts), so the narrowing holds.
        const dnode = node as GradNode<DifferentiablePrim>;
        const contributions: (Contribution | null)[] = rule.contributions
          ? rule.contributions(g, dnode)
          : rule.vjp(g, dnode).map((pg) => (pg ? { kind: "dense", g: pg } : null));
        if (!options.retainGraph) node.release();
        node.parents.forEach((parent, i) => {
          const c = contributions[i];
          if (!c || !node.inputMeta[i]!.requiresGrad) return;
          if (c.kind === "dense" && !shapesEqual(c.g.shape, parent.shape)) {
            throw new Error(`internal: gradient of '${node.prim}' input ${i} has shape ${shapeToString(c.g.shape)}, expected ${shapeToString(parent.shape)}`);
          }
          if (isAnomalyEnabled()) checkFinite(c.g, node.prim);
          const key = parent.gradFn ?? parent;
          if (!parent.gradFn && !acc.has(parent)) leaves.push(parent);
          acc.push(key, c);
        });
        // The incoming gradient is no longer needed unless a rule passed it through.
        if (!acc.inUse(g)) acc.release(g);
      }
      for (const leaf of leaves) {
        const g = acc.take(leaf, leaf.shape);
        if (g) accumulateLeaf(leaf, g);
      }
    }),
  );
}

function checkFinite(g: Tensor, prim: string): void {
  if (!g.backend.canReadSync) return;
  const v = g.dataSync();
  for (let i = 0; i < v.length; i++) {
    if (!Number.isFinite(v[i]!)) throw new Error(`anomaly: the gradient computed by '${prim}' backward contains ${v[i]}`);
  }
}

/** grad += g for a leaf, keeping the result out of any tidy scope. */
function accumulateLeaf(leaf: Tensor, g: Tensor): void {
  if (leaf.isDisposed) return;
  const contribution = g.dtype === leaf.dtype ? g : g.astype(leaf.dtype);
  if (leaf.grad) {
    const sum = add(leaf.grad, contribution).keep();
    leaf.grad.dispose();
    leaf.grad = sum;
  } else {
    // Own a copy so later in-place updates of the leaf's grad cannot alias graph tensors.
    leaf.grad = contribution.clone().keep();
  }
}
