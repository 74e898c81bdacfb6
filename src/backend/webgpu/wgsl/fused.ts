import { ENTRY_ARGS, MATH_HELPERS, type Scalar, coordsCode, linearIndexCode, paramsDecl } from "./common.js";
import { collapseDims, contiguousStrides, numel } from "../../../tensor/shape.js";

/**
 * The elementwise expression graph. Every unary/binary/where/cast/fill op builds one node; a
 * kernel is generated from a whole graph, so a chain such as x.mul(a).add(b).relu() (or any DAG
 * of elementwise ops over same-shaped views) runs as one kernel with one `let` per node.
 */
export interface LeafNode<B> {
  kind: "leaf";
  buf: B;
  offset: number;
  /** Strides over the graph's output shape (stride 0 = broadcast). */
  strides: readonly number[];
  type: Scalar;
}
export interface ConstNode {
  kind: "const";
  /** The value's bits as a u32 word (passed as a kernel parameter, not baked into code). */
  bits: number;
  type: Scalar;
}
export interface OpNode<B> {
  kind: "op";
  /** WGSL with $0, $1, ... standing for the arguments; doubles as the op's cache key. */
  template: string;
  args: readonly ExprNode<B>[];
  type: Scalar;
  /** The lazy buffer whose value this node is, while that buffer is alive and not yet computed. */
  owner?: B;
}
export type ExprNode<B> = LeafNode<B> | ConstNode | OpNode<B>;

export function opNode<B>(f: (args: string[]) => string, args: readonly ExprNode<B>[], type: Scalar): OpNode<B> {
  return { kind: "op", template: f(args.map((_, i) => `$${i}`)), args, type };
}

/** Distinct leaf buffers and op count of a graph (shared sub-graphs counted once). */
export function graphStats<B>(root: ExprNode<B>): { bufs: Set<B>; ops: number } {
  const seen = new Set<ExprNode<B>>();
  const bufs = new Set<B>();
  let ops = 0;
  const walk = (n: ExprNode<B>) => {
    if (seen.has(n)) return;
    seen.add(n);
    if (n.kind === "leaf") bufs.add(n.buf);
    else if (n.kind === "op") {
      ops++;
      n.args.forEach(walk);
    }
  };
  walk(root);
  return { bufs, ops };
}

export interface FusedKernel<B> {
  key: string;
  code: () => string;
  /** Buffers to bind at 0..k-1 (outputs follow: the root's value, then `extra`'s, then parameters). */
  bufs: B[];
  params: number[];
  n: number;
  ops: number;
}

/**
 * Lowers a graph over `shape` to a kernel: leaves deduplicated by (buffer, offset, strides), each
 * distinct buffer bound once, dims collapsed over all leaf views, constants as parameters. Nodes
 * in `extra` (intermediate values something still holds) are written out too, by the same kernel.
 * Params: [n, shape[r], per leaf view: offset, strides[r], per constant: bits].
 */
export function lowerGraph<B>(root: ExprNode<B>, shape: readonly number[], outType: Scalar, storageOf: (b: B) => Scalar, wg: number, extra: readonly OpNode<B>[] = []): FusedKernel<B> {
  const ids = new Map<ExprNode<B>, string>();
  const bufIndex = new Map<B, number>();
  const bufs: B[] = [];
  const leafIndex = new Map<string, number>();
  const leaves: LeafNode<B>[] = [];
  const leafBuf: number[] = [];
  const consts: ConstNode[] = [];
  const lines: { leaf?: number; cst?: number; template?: string; args?: string[]; type: Scalar; name: string }[] = [];
  let ops = 0;
  const visit = (n: ExprNode<B>): string => {
    const got = ids.get(n);
    if (got) return got;
    let name: string;
    if (n.kind === "leaf") {
      let bi = bufIndex.get(n.buf);
      if (bi === undefined) {
        bi = bufs.length;
        bufs.push(n.buf);
        bufIndex.set(n.buf, bi);
      }
      const lk = `${bi}|${n.offset}|${n.strides.join(",")}`;
      let li = leafIndex.get(lk);
      if (li === undefined) {
        li = leaves.length;
        leaves.push(n);
        leafBuf.push(bi);
        leafIndex.set(lk, li);
        name = `l${li}`;
        lines.push({ leaf: li, type: n.type, name });
      } else name = `l${li}`;
    } else if (n.kind === "const") {
      const ci = consts.length;
      consts.push(n);
      name = `k${ci}`;
      lines.push({ cst: ci, type: n.type, name });
    } else {
      const args = n.args.map(visit);
      ops++;
      name = `t${ops}`;
      lines.push({ template: n.template, args, type: n.type, name });
    }
    ids.set(n, name);
    return name;
  };
  const rootName = visit(root);
  const n = numel(shape);
  const { shape: cs, strides } = collapseDims(shape, leaves.map((l) => l.strides));
  const rank = cs.length;
  const contig = contiguousStrides(cs);
  const leafContig = strides.map((s) => s.every((v, d) => v === contig[d]));
  const leafAt = (li: number) => 1 + rank + li * (1 + rank);
  const constAt = (ci: number) => 1 + rank + leaves.length * (1 + rank) + ci;
  const params: number[] = [n, ...cs];
  leaves.forEach((l, li) => params.push(l.offset, ...strides[li]!));
  consts.forEach((c) => params.push(c.bits));
  const key =
    `fused|r${rank}|b${bufs.map((b) => storageOf(b)).join("")}|o${outType}|` +
    lines
      .map((l) =>
        l.leaf !== undefined
          ? `L${leafBuf[l.leaf]}${leafContig[l.leaf] ? "c" : "s"}`
          : l.cst !== undefined
            ? `K${l.type}`
            : `${l.template!.replace(/\$(\d+)/g, (_, k: string) => `{${l.args![Number(k)]}}`)}`,
      )
      .join(";") +
    `|=${rootName}` +
    extra.map((e) => `,${ids.get(e)}:${e.type}`).join("");
  const code = () => {
    const body = lines
      .map((l) => {
        if (l.leaf !== undefined) {
          const at = leafAt(l.leaf);
          const off = leafContig[l.leaf] ? `P(${at}u) + i` : ["P(" + at + "u)", ...Array.from({ length: rank }, (_, d) => `c${d} * P(${at + 1 + d}u)`)].join(" + ");
          return `let ${l.name} = in${leafBuf[l.leaf]}[${off}];`;
        }
        if (l.cst !== undefined) {
          const p = `P(${constAt(l.cst)}u)`;
          return `let ${l.name} = ${l.type === "f32" ? `bitcast<f32>(${p})` : l.type === "i32" ? `bitcast<i32>(${p})` : p};`;
        }
        return `let ${l.name} = ${l.template!.replace(/\$(\d+)/g, (_, k: string) => l.args![Number(k)]!)};`;
      })
      .join("\n  ");
    return `${MATH_HELPERS}
${bufs.map((b, k) => `@group(0) @binding(${k}) var<storage, read> in${k}: array<${storageOf(b)}>;`).join("\n")}
@group(0) @binding(${bufs.length}) var<storage, read_write> out: array<${outType}>;
${extra.map((e, j) => `@group(0) @binding(${bufs.length + 1 + j}) var<storage, read_write> out${j + 1}: array<${e.type}>;`).join("\n")}
${paramsDecl(bufs.length + 1 + extra.length, params.length)}
@compute @workgroup_size(${wg})
fn main(${ENTRY_ARGS}) {
  ${linearIndexCode(wg)}
  if (i >= P(0u)) { return; }
  ${leafContig.every(Boolean) ? "" : coordsCode(rank, 1)}
  ${body}
  out[i] = ${rootName};
  ${extra.map((e, j) => `out${j + 1}[i] = ${ids.get(e)};`).join("\n  ")}
}
`;
  };
  return { key, code, bufs, params, n, ops };
}
