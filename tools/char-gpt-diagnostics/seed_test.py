#!/usr/bin/python3
"""Is the char-gpt gap seed variance? Compares the final validation losses of two sets of runs
(different seeds, same recipe): mean, standard deviation, relative gap, Welch's t with its
Welch–Satterthwaite degrees of freedom and two-sided p, and an exact permutation test of the
difference of means (no normality assumed). Standard library only (no scipy on this machine).

  /usr/bin/python3 tools/char-gpt-diagnostics/seed_test.py "A=2.17,2.18,..." "B=2.12,2.11,..."
  /usr/bin/python3 tools/char-gpt-diagnostics/seed_test.py "neurite=runs/h12/nt-s*.json" "pytorch=runs/h12/pt-s*.json"

Each argument is NAME=values: comma-separated numbers and/or globs of run JSON files (the
`--json` output of tools/pytorch_char_lm.py ("valLoss") or `neurite train` ("testLoss": the
held-out 10 %, which is what the char-lm recipe validates on)).
"""
import glob, itertools, json, math, statistics, sys


def values(spec):
    out = []
    for part in spec.split(","):
        files = sorted(glob.glob(part))
        if files:
            for f in files:
                with open(f) as fh:
                    text = fh.read().strip()
                if text:
                    d = json.loads(text.splitlines()[-1])
                    out.append(d["valLoss"] if "valLoss" in d else d["testLoss"])
        elif part:
            out.append(float(part))
    return out


def t_two_sided_p(t, df):
    """2 * P(T > |t|) for Student's t with df degrees of freedom (regularised incomplete beta)."""
    x = df / (df + t * t)
    return betainc(df / 2, 0.5, x)


def betainc(a, b, x):
    """Regularised incomplete beta I_x(a, b) by Lentz's continued fraction (Numerical Recipes)."""
    if x <= 0 or x >= 1:
        return 0.0 if x <= 0 else 1.0
    lbeta = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log(1 - x)
    if x > (a + 1) / (a + b + 2):
        return 1 - betainc(b, a, 1 - x)
    tiny = 1e-300
    c, d = 1.0, 1 - (a + b) * x / (a + 1)
    d = 1 / (d if abs(d) > tiny else tiny)
    f = d
    for m in range(1, 300):
        for num in (m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)), -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))):
            d = 1 + num * d
            d = 1 / (d if abs(d) > tiny else tiny)
            c = 1 + num / c
            c = c if abs(c) > tiny else tiny
            f *= c * d
        if abs(c * d - 1) < 1e-12:
            break
    return math.exp(lbeta) * f / a


def main():
    (na, sa), (nb, sb) = (arg.split("=", 1) for arg in sys.argv[1:3])
    a, b = values(sa), values(sb)
    ma, mb = statistics.mean(a), statistics.mean(b)
    va, vb = statistics.variance(a), statistics.variance(b)
    se = math.sqrt(va / len(a) + vb / len(b))
    t = (ma - mb) / se
    df = se ** 4 / ((va / len(a)) ** 2 / (len(a) - 1) + (vb / len(b)) ** 2 / (len(b) - 1))
    pooled, observed = a + b, abs(ma - mb)
    extreme = total = 0
    for idx in itertools.combinations(range(len(pooled)), len(a)):
        chosen = set(idx)
        xa = [pooled[i] for i in idx]
        xb = [pooled[i] for i in range(len(pooled)) if i not in chosen]
        total += 1
        extreme += abs(statistics.mean(xa) - statistics.mean(xb)) >= observed - 1e-12
    for name, v, m in ((na, a, ma), (nb, b, mb)):
        print(f"{name}: n={len(v)} mean={m:.4f} sd={statistics.stdev(v):.4f} min={min(v):.4f} max={max(v):.4f}  [{', '.join(f'{x:.4f}' for x in v)}]")
    print(f"gap: {(ma - mb) / mb * 100:+.2f} %  Welch t={t:.2f} df={df:.1f} p={t_two_sided_p(t, df):.2g}  exact permutation p={extreme / total:.2g} ({total} splits)")


if __name__ == "__main__":
    main()
