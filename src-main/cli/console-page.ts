/**
 * The page the daemon serves at / until the full console (src-renderer) is built into it:
 * it connects with the token from the URL fragment and shows live status and events.
 */
export function consolePage(): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>OpenAgents console</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:15px system-ui,sans-serif;margin:2rem;max-width:60rem;color:#1b1b1f;background:#fafafa}
@media (prefers-color-scheme: dark){body{background:#141417;color:#e8e8ec}}
code,pre{font-family:ui-monospace,monospace}pre{background:rgba(127,127,127,.12);padding:1rem;overflow:auto}
.devnet{display:inline-block;padding:.1rem .5rem;border-radius:.3rem;background:#f5c542;color:#222}</style></head>
<body><h1>OpenAgents</h1>
<p id="state">Connecting…</p>
<pre id="status"></pre>
<h2>Live events</h2><pre id="events"></pre>
<script>
const token = new URLSearchParams(location.hash.slice(1)).get('token');
const state = document.getElementById('state');
if (!token) { state.textContent = 'Open the link the daemon printed (it carries the access token).'; }
else {
  const ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/api/ws?token=' + encodeURIComponent(token));
  let id = 0;
  ws.onopen = () => { state.textContent = 'Connected to the daemon.'; ws.send(JSON.stringify({ id: ++id, proc: 'system.status', input: {} })); };
  ws.onclose = () => { state.textContent = 'Disconnected from the daemon.'; };
  ws.onmessage = (m) => {
    const f = JSON.parse(m.data);
    if (f.event) { const e = document.getElementById('events'); e.textContent = new Date().toLocaleTimeString() + ' ' + f.event + ' ' + JSON.stringify(f.data) + '\\n' + e.textContent; }
    else if (f.result && f.result.ok) { document.getElementById('status').textContent = JSON.stringify(f.result.value, null, 2); }
  };
}
</script></body></html>`;
}
