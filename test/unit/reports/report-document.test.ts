import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unzipBag } from '../../../src/main/reports/bagit.ts';
import { trustedKeys } from '../../../src/main/reports/trust.ts';
import { verifyArchive } from '../../../src/main/reports/verify.ts';
import { anomalyChart } from '../../../src/main/reports/svg-chart.ts';
import { exportedScan, type Exported } from './archive-helpers.ts';

const OUT = path.resolve('test-results/reports');
const hasChromium = fs.existsSync('/usr/bin/chromium');
const hasPdftoppm = fs.existsSync('/usr/bin/pdftoppm');

let x: Exported;
let html: string;
beforeAll(async () => {
  // The one test that renders a PDF (when the browser is there): 10 classes, as a real CIFAR-10 scan.
  x = await exportedScan({ classes: 10, stamped: 2 });
  html = Buffer.from(unzipBag(x.zip).get('data/report.html')!).toString('utf8');
  fs.mkdirSync(OUT, { recursive: true });
  fs.writeFileSync(path.join(OUT, 'report.html'), html);
}, 120_000);
afterAll(() => {
  x.cdb.sql.close();
  fs.rmSync(x.dir, { recursive: true, force: true });
});

describe('report documents', () => {
  it('HTML is self-contained: no external URL, no script; triggers inline as data: PNGs', () => {
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/(src|href)\s*=\s*["']?(https?:|\/\/|file:)/i);
    expect(html).not.toMatch(/url\(|@import/i);
    const imgs = [...html.matchAll(/<img [^>]*src="([^"]+)"/g)].map((m) => m[1]);
    expect(imgs.length).toBe(10 * 3);
    expect(imgs.every((s) => s.startsWith('data:image/png;base64,'))).toBe(true);
  });

  it('HTML states verdict and target first, evidence hashes, every class, parameters and how to verify', () => {
    const p = x.archive.statement.predicate;
    const verdictAt = html.indexOf('BACKDOOR SUSPECTED');
    expect(verdictAt).toBeGreaterThan(0);
    expect(verdictAt).toBeLessThan(html.indexOf('<h2>'));
    expect(html).toContain('Suspected target class: <b>2 (bird)</b>');
    expect(html).toContain(p.evidence.sha256);
    expect(html).toContain(p.parametersSha256);
    expect(html).toContain(p.auditLog.sha256);
    expect(html).toContain(x.archive.keyid);
    expect(html).toContain('uma verify report.zip --model suspect.onnx --trust alice-example.pub');
    for (const c of p.classes) expect(html).toContain(`<td>${c.name}</td>`);
    expect(html).toContain('<code>inversionSteps</code>');
    expect(html.match(/<tr class="flag">/g)).toHaveLength(1);
    // A threshold from the profile: no calibration section (a calibrated one is tested in the service's tests).
    expect(html).not.toContain('Threshold calibration');
  });

  it('the chart draws one bar per class, flagged in red, and the threshold line at its value', () => {
    const svg = anomalyChart(
      [
        { index: 0, name: 'a', value: -1, flagged: false },
        { index: 1, name: 'b', value: 8, flagged: true },
        { index: 2, name: 'c<x>', value: 1, flagged: false },
      ],
      2,
    );
    const rects = [...svg.matchAll(/<rect x="[\d.]+" y="([\d.]+)" width="[\d.]+" height="([\d.]+)" fill="([^"]+)"/g)];
    expect(rects.map((r) => r[3])).toEqual(['#5b7ea4', '#c62828', '#5b7ea4']);
    // Heights are proportional to |value|: 8 is eight times 1.
    expect(Number(rects[1][2]) / Number(rects[2][2])).toBeCloseTo(8, 1);
    const zeroY = Number(rects[2][1]) + Number(rects[2][2]);
    expect(Number(rects[0][1])).toBeCloseTo(zeroY, 1); // a negative bar hangs from the zero line
    const thr = /<line x1="[\d.]+" x2="[\d.]+" y1="([\d.]+)" y2="[\d.]+" stroke="#c62828"/.exec(svg)!;
    expect(zeroY - Number(thr[1])).toBeCloseTo(2 * Number(rects[2][2]), 0);
    expect(svg).toContain('c&lt;x&gt;');
  });

  it.skipIf(!hasChromium)(
    'renders a PDF with Chromium into the archive, which still verifies; page 1 as PNG for review',
    async () => {
      const bag = unzipBag(x.zip);
      const pdf = bag.get('data/report.pdf')!;
      expect(Buffer.from(pdf.subarray(0, 5)).toString()).toBe('%PDF-');
      expect(Buffer.from(bag.get('bag-info.txt')!).toString()).toMatch(/UMA-Report-PDF: included, rendered by/);
      expect((await verifyArchive(x.zip, { model: x.model, trusted: trustedKeys(x.cdb.paths) })).ok).toBe(true);
      fs.writeFileSync(path.join(OUT, 'report.pdf'), pdf);
      if (hasPdftoppm) {
        execFileSync('pdftoppm', ['-png', '-r', '60', path.join(OUT, 'report.pdf'), path.join(OUT, 'report-page')]);
        const pages = fs.readdirSync(OUT).filter((f) => /^report-page-\d+\.png$/.test(f));
        expect(pages.length).toBeGreaterThanOrEqual(2);
        expect(fs.statSync(path.join(OUT, pages.sort()[0])).size).toBeGreaterThan(10_000);
      }
    },
  );

  it('without a browser the archive omits report.pdf and says so in bag-info.txt', async () => {
    const y = await exportedScan({ chromium: '/nonexistent/chromium' });
    try {
      const bag = unzipBag(y.zip);
      expect(bag.has('data/report.pdf')).toBe(false);
      expect(Buffer.from(bag.get('bag-info.txt')!).toString()).toContain(
        'UMA-Report-PDF: omitted: no Chromium at /nonexistent/chromium',
      );
      expect((await verifyArchive(y.zip, { trusted: trustedKeys(y.cdb.paths) })).ok).toBe(true);
    } finally {
      y.cdb.sql.close();
      fs.rmSync(y.dir, { recursive: true, force: true });
    }
  });
});
