/** A character vocabulary: the sorted distinct characters of a text, with encode/decode. */
export class CharVocab {
  readonly chars: string[];
  private readonly index: Map<string, number>;

  constructor(chars: Iterable<string>) {
    this.chars = [...new Set(chars)];
    this.index = new Map(this.chars.map((c, i) => [c, i]));
  }

  /** Builds the vocabulary of `text` (code points, sorted). */
  static fromText(text: string): CharVocab {
    return new CharVocab([...new Set(Array.from(text))].sort());
  }

  get size(): number {
    return this.chars.length;
  }

  /** Token ids; unknown characters throw unless `unknown` gives a fallback id. */
  encode(text: string, unknown?: number): number[] {
    return Array.from(text, (c) => {
      const i = this.index.get(c);
      if (i === undefined) {
        if (unknown !== undefined) return unknown;
        throw new RangeError(`CharVocab.encode: character ${JSON.stringify(c)} is not in the vocabulary`);
      }
      return i;
    });
  }

  decode(ids: Iterable<number>): string {
    let out = "";
    for (const i of ids) out += this.chars[i] ?? "";
    return out;
  }

  toJSON(): { chars: string[] } {
    return { chars: this.chars };
  }
}
