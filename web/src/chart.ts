/** A small live line chart on a canvas: loss (left axis) and accuracy (right axis, 0–1) per step. */
export class LiveChart {
  private readonly loss: number[] = [];
  private readonly accuracy: number[] = [];

  constructor(private readonly canvas: HTMLCanvasElement) {}

  clear(): void {
    this.loss.length = 0;
    this.accuracy.length = 0;
    this.draw();
  }

  push(loss: number, accuracy: number): void {
    this.loss.push(loss);
    this.accuracy.push(accuracy);
    this.draw();
  }

  private draw(): void {
    const ctx = this.canvas.getContext("2d");
    if (!ctx) return;
    const { width: w, height: h } = this.canvas;
    const pad = 28;
    ctx.clearRect(0, 0, w, h);
    ctx.strokeStyle = "#ccc";
    ctx.strokeRect(pad, 8, w - 2 * pad, h - pad - 8);
    ctx.fillStyle = "#555";
    ctx.font = "11px sans-serif";
    ctx.fillText("loss", 2, 16);
    ctx.fillText("acc", w - pad + 4, 16);
    ctx.fillText("step", w / 2 - 10, h - 6);
    const n = this.loss.length;
    if (n < 2) return;
    const maxLoss = Math.max(...this.loss.filter(Number.isFinite), 1e-6);
    const x = (i: number) => pad + (i / (n - 1)) * (w - 2 * pad);
    const line = (values: number[], top: number, color: string) => {
      ctx.strokeStyle = color;
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      values.forEach((v, i) => {
        const y = 8 + (1 - Math.min(1, v / top)) * (h - pad - 16);
        if (i === 0) ctx.moveTo(x(i), y);
        else ctx.lineTo(x(i), y);
      });
      ctx.stroke();
    };
    line(this.loss, maxLoss, "#d9480f");
    line(this.accuracy, 1, "#1971c2");
    ctx.fillStyle = "#d9480f";
    ctx.fillText(maxLoss.toFixed(2), 2, 30);
  }
}
