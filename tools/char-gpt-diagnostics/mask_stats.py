#!/usr/bin/python3
"""Statistics of dropout masks recorded by spike.ts masks=FILE (char-gpt, batch 32, block 64, d 128,
4 heads, 4 blocks): keep rate per layer and step against the binomial spread, the rate at which a
bit equals the same bit one step later and the same position in another layer (0.82 when
independent), and the keep rate by position, channel and batch row.

  /usr/bin/python3 tools/char-gpt-diagnostics/mask_stats.py MASKS.bin STEPS
"""
import sys

import numpy as np
path = sys.argv[1]; steps = int(sys.argv[2])
B, T, D, H = 32, 64, 128, 4
shapes = [("emb", B*T*D)] + [(f"{k}{l}", n) for l in range(4) for k, n in (("attn", B*H*T*T), ("d1", B*T*D), ("ff", B*T*4*D), ("d2", B*T*D))]
per_step = sum(n for _, n in shapes)
raw = np.memmap(path, dtype=np.uint8, mode="r")
nbytes = per_step * steps // 8
bits = np.unpackbits(np.asarray(raw[:nbytes]), bitorder="little").reshape(steps, per_step)
print("per-step keep fraction: mean %.6f sd %.6f (binomial sd %.6f)" % (bits.mean(1).mean(), bits.mean(1).std(), np.sqrt(0.09 / per_step)))
off = 0
for name, n in shapes:
    seg = bits[:, off:off + n]
    f = seg.mean(1)
    # keep fraction per call, and agreement with the same call's mask one step later
    same_next = (seg[1:] == seg[:-1]).mean()
    print("%-6s keep %.5f sd over steps %.5f (binomial %.5f)  P(same bit next step) %.5f (indep 0.82)" % (name, f.mean(), f.std(), np.sqrt(0.09 / n), same_next))
    off += n
# cross-layer: same positions in d1 vs d2 of block 0, emb vs d1 of block 0
def seg(name):
    o = 0
    for nm, n in shapes:
        if nm == name: return bits[:, o:o + n]
        o += n
a, b, c = seg("emb"), seg("d10"), seg("d20")
print("P(emb==d1_0) %.5f  P(d1_0==d2_0) %.5f  (indep 0.82)" % ((a == b).mean(), (b == c).mean()))
# position structure: keep fraction by position t and by channel for emb, averaged over steps and batch
e = a.reshape(steps, B, T, D).astype(np.float32)
print("emb keep by t: min %.4f max %.4f; by channel: min %.4f max %.4f; by batch row: min %.4f max %.4f (expected sd by t %.4f)" % (
    e.mean((0, 1, 3)).min(), e.mean((0, 1, 3)).max(), e.mean((0, 1, 2)).min(), e.mean((0, 1, 2)).max(), e.mean((0, 2, 3)).min(), e.mean((0, 2, 3)).max(), np.sqrt(0.09 / (steps * B * D))))
