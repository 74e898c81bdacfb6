import type { Tensor } from "../tensor/tensor.js";
import { shapeToString, shapesEqual } from "../tensor/shape.js";
import type { GradNode } from "./node.js";
import { enableGrad, noGrad } from "./grad-mode.js";
import { gradRules, type GradRule } from "../ops/grad-rules.js";
import type { DifferentiablePrim } from "../ops/prims.js";
import { tidy } from "../memory/tidy.js";
import { add } from "../ops/elementwise.js";
import { GradAccumulator, type Contribution } from "./grad-accumulator.js";
import { onesLike } from "../ops/creation.js";
import { AnomalyError, isAnomalyEnabled } from "./anomaly.js";

export interface BackwardOptions {
  /**
   * Keep the saved tensors so backward can run through the same graph again (default: the value
   * of createGraph, as in PyTorch).
   */
  retainGraph?: boolean;
  /**
   * Record the backward pass itself, so the gradients it produces have a graph of their own and
   * can be differentiated again (gradient penalties, Hessian-vector products, MAML).
   */
  createGraph?: boolean;
}

export interface GradOptions extends BackwardOptions {
  /** d(outputs)/d(outputs) seeds, one per output (default: ones, only for single-element outputs). */
  gradOutputs?: readonly (Tensor | null | undefined)[];
  /** Return null for an input the outputs do not depend on, instead of throwing. */
  allowUnused?: boolean;
}

/** Nodes reachable from `roots`, ordered so every node comes before the nodes it depends on. */
function topoOrder(roots: readonly GradNode[]): GradNode[] {
  const order: GradNode[] = [];
  const seen = new Set<GradNode>();
  // Iterative DFS (deep graphs such as long RNN unrolls would overflow the call stack).
  for (const root of roots) {
    if (seen.has(root)) continue;
    seen.add(root);
    dfs(root, seen, order);
  }
  return order.reverse();
}

function dfs(root: GradNode, seen: Set<GradNode>, order: GradNode[]): void {
  const stack: [GradNode, number][] = [[root, 0]];
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
}

/**
 * Reverse-mode differentiation from `root`: accumulates into `.grad` of every leaf that
 * requires gradients, then (unless retainGraph) releases the graph's saved tensors.
 */
export function backward(root: Tensor, grad?: Tensor, options: BackwardOptions = {}): void {
  const seed = checkedSeed(root, grad, "backward", 0);
  run([root], [seed], options, null);
}

/**
 * The gradients of `outputs` (seeded by `gradOutputs`) with respect to `inputs`, returned rather
 * than accumulated into `.grad` (PyTorch's torch.autograd.grad). With createGraph they can be
 * differentiated again.
 */
export function grad(outputs: Tensor | readonly Tensor[], inputs: Tensor | readonly Tensor[], options: GradOptions = {}): (Tensor | null)[] {
  const outs = outputs instanceof Array ? outputs : [outputs as Tensor];
  const ins = inputs instanceof Array ? inputs : [inputs as Tensor];
  if (outs.length === 0 || ins.length === 0) throw new RangeError(`autograd.grad: expected at least one output and one input (got ${outs.length} and ${ins.length})`);
  const gradOutputs = options.gradOutputs ?? [];
  if (gradOutputs.length > 0 && gradOutputs.length !== outs.length) {
    throw new RangeError(`autograd.grad: ${gradOutputs.length} gradOutputs for ${outs.length} outputs`);
  }
  ins.forEach((t, i) => {
    t.assertAlive("autograd.grad");
    if (!t.requiresGrad) throw new Error(`autograd.grad: input ${i} (shape ${shapeToString(t.shape)}) does not require grad`);
  });
  const seeds = outs.map((o, i) => checkedSeed(o, gradOutputs[i] ?? undefined, "autograd.grad", i));
  const result = run(outs, seeds, options, ins)!;
  result.forEach((g, i) => {
    if (!g && !options.allowUnused) {
      throw new Error(`autograd.grad: input ${i} (shape ${shapeToString(ins[i]!.shape)}) is not reachable from the outputs; pass allowUnused: true to get null`);
    }
  });
  return result;
}

function checkedSeed(root: Tensor, grad: Tensor | undefined, op: string, i: number): Tensor | undefined {
  root.assertAlive(op);
  const what = op === "backward" ? "the tensor" : `output ${i}`;
  if (!root.requiresGrad) {
    throw new Error(`${op}: ${op === "backward" ? "tensor" : `output ${i} (tensor)`} of shape ${shapeToString(root.shape)} does not require grad and has no grad_fn`);
  }
  if (grad === undefined && root.size !== 1) {
    throw new RangeError(`${op}: grad can be implicitly created only for scalar outputs, but ${what} has shape ${shapeToString(root.shape)}; pass a gradient of that shape`);
  }
  if (grad !== undefined && !shapesEqual(grad.shape, root.shape)) {
    throw new RangeError(`${op}: gradient of shape ${shapeToString(grad.shape)} does not match ${op === "backward" ? "the tensor's" : `output ${i}'s`} shape ${shapeToString(root.shape)}`);
  }
  return grad;
}

/** The tensor a gradient accumulates into: saved handles stand for the tensor they were saved from. */
const leafOf = (t: Tensor): Tensor => t.savedFrom ?? t;

/**
 * Nodes from which some input can be reached (only these need their gradient rule run when
 * gradients of specific inputs are asked for).
 */
function nodesLeadingTo(order: readonly GradNode[], inputs: readonly Tensor[]): Set<GradNode> {
  const inputNodes = new Set(inputs.map((t) => t.gradFn).filter((n): n is GradNode => n !== null));
  const inputLeaves = new Set(inputs.filter((t) => !t.gradFn).map(leafOf));
  const needed = new Set<GradNode>();
  // `order` lists a node before the nodes it depends on, so walk it backwards.
  for (let k = order.length - 1; k >= 0; k--) {
    const node = order[k]!;
    if (inputNodes.has(node) || node.parents.some((p) => (p.gradFn ? needed.has(p.gradFn) : inputLeaves.has(leafOf(p))))) needed.add(node);
  }
  return needed;
}

/**
 * The backward pass shared by backward() and grad(): with `inputs` null, gradients accumulate
 * into leaves' `.grad`; otherwise the gradient of each input is returned.
 */
function run(roots: readonly Tensor[], seeds: readonly (Tensor | undefined)[], options: BackwardOptions, inputs: readonly Tensor[] | null): (Tensor | null)[] | null {
  const createGraph = options.createGraph ?? false;
  const retainGraph = options.retainGraph ?? createGraph;
  const mode = createGraph ? enableGrad : noGrad;
  // Leaves whose gradient became .grad without a copy; checked once the scope below has freed
  // the backward pass's intermediates (views of it may live until then).
  const adopted: Tensor[] = [];
  return mode(() => {
    const result = tidy(() => {
      const given = new Set(seeds.filter((g): g is Tensor => g !== undefined));
      const acc = new GradAccumulator<GradNode | Tensor>(given);
      const captured = new Map<GradNode | Tensor, Tensor>();
      const wanted = new Set<GradNode | Tensor>((inputs ?? []).map((t) => t.gradFn ?? leafOf(t)));
      const leaves: Tensor[] = [];
      const rootNodes: GradNode[] = [];
      roots.forEach((root, i) => {
        const seed = seeds[i] ?? onesLike(root);
        const key = root.gradFn ?? leafOf(root);
        if (!root.gradFn && !acc.has(key)) leaves.push(key as Tensor);
        acc.push(key, { kind: "dense", g: seed });
        if (root.gradFn) rootNodes.push(root.gradFn);
      });
      const order = topoOrder(rootNodes);
      const needed = inputs ? nodesLeadingTo(order, inputs) : null;
      for (const node of order) {
        const g = acc.take(node, node.outputShape);
        if (g && node.gradHooks) for (const hook of node.gradHooks) hook(g);
        if (g && wanted.has(node)) captured.set(node, g);
        if (!g || (needed && !needed.has(node))) {
          if (g && !captured.has(node) && !acc.inUse(g)) acc.release(g);
          if (!retainGraph) node.release();
          continue;
        }
        const rule = gradRules[node.prim as DifferentiablePrim] as GradRule<DifferentiablePrim>;
        // Only differentiable prims get a GradNode (dispatch.ts), so the narrowing holds.
        const dnode = node as GradNode<DifferentiablePrim>;
        const contributions: (Contribution | null)[] = rule.contributions
          ? rule.contributions(g, dnode)
          : rule.vjp(g, dnode).map((pg) => (pg ? { kind: "dense", g: pg } : null));
        if (!retainGraph) node.release();
        node.parents.forEach((parent, i) => {
          const c = contributions[i];
          if (!c || !node.inputMeta[i]!.requiresGrad) return;
          if (c.kind === "dense" && !shapesEqual(c.g.shape, parent.shape)) {
            throw new Error(`internal: gradient of '${node.prim}' input ${i} has shape ${shapeToString(c.g.shape)}, expected ${shapeToString(parent.shape)}`);
          }
          if (isAnomalyEnabled()) checkFinite(c.g, node.prim);
          const key = parent.gradFn ?? leafOf(parent);
          if (!parent.gradFn && !acc.has(key)) leaves.push(key as Tensor);
          acc.push(key, c);
        });
        // The incoming gradient is no longer needed unless a rule passed it through.
        if (!acc.inUse(g) && !captured.has(node)) acc.release(g);
      }
      for (const leaf of leaves) {
        const g = acc.take(leaf, leaf.shape);
        if (!g) continue;
        if (inputs) captured.set(leaf, g);
        // A gradient that no other leaf, seed or graph handle can still see may become .grad as is.
        else if (accumulateLeaf(leaf, g, !acc.inUse(g) && !given.has(g) && !g.gradFn)) adopted.push(leaf);
      }
      // Returned from tidy, the gradients outlive it (and join the caller's scope).
      return inputs ? inputs.map((t) => captured.get(t.gradFn ?? leafOf(t)) ?? null) : null;
    });
    for (const leaf of adopted) ownGrad(leaf);
    return result;
  });
}

/**
 * A leaf's adopted .grad must not share its storage (with a retained graph's saved tensors, say):
 * later in-place updates of the grad would change them. Where it does, it is replaced by a copy.
 */
function ownGrad(leaf: Tensor): void {
  const g = leaf.grad;
  if (!g || g.ownsStorageAlone()) return;
  leaf.grad = g.clone().keep();
  g.dispose();
}

function checkFinite(g: Tensor, prim: string): void {
  if (!g.backend.canReadSync) return;
  const v = g.dataSync();
  for (let i = 0; i < v.length; i++) {
    if (!Number.isFinite(v[i]!)) throw new AnomalyError(`anomaly: the gradient computed by '${prim}' backward contains ${v[i]}`, prim, "backward");
  }
}

/**
 * grad += g for a leaf, keeping the result out of any tidy scope (with its graph, under createGraph).
 * `adoptable`: no other leaf or caller holds the handle g, so a first gradient can be g itself,
 * provided the caller then checks (ownGrad) that no tensor outside the pass shares its storage.
 * Returns whether g was adopted.
 */
function accumulateLeaf(leaf: Tensor, g: Tensor, adoptable: boolean): boolean {
  if (leaf.isDisposed) return false;
  const contribution = g.dtype === leaf.dtype ? g : g.astype(leaf.dtype);
  if (leaf.grad) {
    const sum = add(leaf.grad, contribution).keep();
    leaf.grad.dispose();
    leaf.grad = sum;
    return false;
  }
  if (adoptable) {
    leaf.grad = contribution.keep();
    return true;
  }
  // Own a copy so later in-place updates of the leaf's grad cannot alias graph tensors.
  leaf.grad = contribution.clone().keep();
  return false;
}
