/** 1.2 GB, 530 MB, 812 KB: sizes of models and memory, in powers of 1,000 like download tools show them. */
export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '—';
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return i === 0 ? `${n} bytes` : `${v >= 100 ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
}

/** What a job of the most tokens costs: the minimum plus the per-1k rate for each 1,000 tokens. */
export function fullJobPrice(minPriceSats: number, pricePer1kSats: number, maxTokens: number): number {
  return minPriceSats + Math.ceil((pricePer1kSats * maxTokens) / 1000);
}

export function jobStatusTone(status: string): 'ok' | 'warn' | 'bad' | 'info' | 'muted' {
  if (status === 'done' || status === 'success') return 'ok';
  if (status === 'processing' || status === 'queued' || status === 'paid') return 'info';
  if (status === 'payment_required') return 'warn';
  if (status === 'failed' || status === 'error') return 'bad';
  return 'muted';
}

export function refundTone(status: 'owed' | 'paid' | 'failed'): 'ok' | 'warn' | 'bad' {
  return status === 'paid' ? 'ok' : status === 'owed' ? 'warn' : 'bad';
}
