/** The sandbox console: a plain page that looks and behaves like a Slack channel. No framework, no build step. */
export const CONSOLE_PAGE = /* html */ `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Liftoff sandbox · #deploys</title>
<style>
  :root { --border: #ddd; --muted: #616061; --accent: #1264a3; --bg: #fff; --side: #3f0e40; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 15px/1.45 -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; color: #1d1c1d; display: grid; grid-template-columns: 200px 1fr 340px; height: 100vh; }
  aside { border-left: 1px solid var(--border); overflow-y: auto; padding: 12px 14px; font-size: 13px; background: #fafafa; }
  aside h2 { font-size: 14px; margin: 14px 0 6px; }
  aside ul { list-style: none; padding: 0; margin: 0; }
  aside li { padding: 3px 0; border-bottom: 1px solid #eee; }
  aside .commit { cursor: pointer; color: var(--accent); background: none; border: 0; padding: 0; font-weight: 400; text-align: left; }
  #doc { white-space: pre-wrap; background: #fff; border: 1px solid var(--border); padding: 8px; max-height: 50vh; overflow: auto; display: none; }
  .ok { color: #007a5a; } .bad { color: #e01e5a; }
  nav { background: var(--side); color: #fff; padding: 16px; }
  nav h1 { font-size: 17px; margin: 0 0 16px; }
  nav label { display: block; font-size: 13px; opacity: .85; margin-top: 12px; }
  nav select { width: 100%; margin-top: 4px; font-size: 14px; }
  main { display: grid; grid-template-rows: auto 1fr auto; min-height: 0; }
  header { border-bottom: 1px solid var(--border); padding: 10px 20px; font-weight: 700; }
  #feed { overflow-y: auto; padding: 12px 20px; }
  .msg { padding: 8px 0; border-bottom: 1px solid #f3f3f3; }
  .msg .meta { color: var(--muted); font-size: 12px; }
  .msg.ephemeral { background: #f8f8f8; border-left: 3px solid var(--accent); padding-left: 10px; }
  .msg.reply { margin-left: 32px; border-left: 2px solid var(--border); padding-left: 10px; }
  .hdr { font-size: 18px; font-weight: 800; margin: 4px 0; }
  .ctx { color: var(--muted); font-size: 13px; margin: 4px 0; }
  .sec { margin: 6px 0; white-space: pre-wrap; }
  .fields { display: grid; grid-template-columns: 1fr 1fr; gap: 4px 16px; }
  hr { border: 0; border-top: 1px solid var(--border); }
  code { background: #f4f4f4; border: 1px solid #e8e8e8; border-radius: 3px; padding: 0 3px; font-size: 13px; }
  button { font: inherit; font-size: 14px; font-weight: 700; border: 1px solid #bbb; background: #fff; border-radius: 4px; padding: 4px 12px; margin-right: 8px; cursor: pointer; }
  button.primary { background: #007a5a; border-color: #007a5a; color: #fff; }
  button.danger { background: #e01e5a; border-color: #e01e5a; color: #fff; }
  button:focus-visible, input:focus-visible, select:focus-visible { outline: 3px solid #1d9bd1; outline-offset: 1px; }
  form { border-top: 1px solid var(--border); padding: 12px 20px; display: flex; gap: 8px; }
  #composer { flex: 1; font: inherit; padding: 8px 10px; border: 1px solid #999; border-radius: 6px; }
  #error { color: #c00; padding: 0 20px 8px; min-height: 1em; }
  img.blk { max-width: 480px; border: 1px solid var(--border); }
</style>
</head>
<body>
<nav>
  <h1>Liftoff sandbox</h1>
  <div># deploys</div>
  <label for="user">You are</label>
  <select id="user"></select>
  <p><button id="tab-channel" type="button">Channel</button> <button id="tab-home" type="button">App Home</button></p>
  <p style="font-size:12px;opacity:.8">Switch users to try the approval rules: the deployer requests, the approver approves, the visitor may do neither.</p>
</nav>
<main>
  <header># deploys</header>
  <div id="feed" aria-live="polite"></div>
  <div>
    <div id="error" role="alert"></div>
    <form id="send">
      <input id="composer" list="commands" autocomplete="off" placeholder="/deploy phase3" aria-label="Message #deploys">
      <datalist id="commands">
        <option value="/deploy help"><option value="/deploy list"><option value="/deploy phase3"><option value="/deploy phase3 --dry-run">
        <option value="/deploy status"><option value="/deploy cancel"><option value="/rollback phase3"><option value="/metrics phase3">
      </datalist>
      <button class="primary" type="submit">Send</button>
    </form>
  </div>
</main>
<aside aria-label="The emulated world">
  <h2>Faults</h2><ul id="faults"></ul>
  <h2>Builds (Cloud Build)</h2><ul id="builds"></ul>
  <h2>Traffic (Cloud Run)</h2><ul id="traffic"></ul>
  <h2>Revisions</h2><ul id="revisions"></ul>
  <h2>Repository (git log)</h2><ul id="commits"></ul>
  <pre id="doc" tabindex="0"></pre>
</aside>
<script>
const $ = (id) => document.getElementById(id);
let state = { users: [], messages: [], ephemerals: [] };
const userSelect = $('user');
const esc = (s) => String(s).replace(/&(?!(amp|lt|gt);)/g, '&amp;').replace(/"/g, '&quot;');
const escAll = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
function userName(id) { const u = state.users.find((x) => x.id === id); return u ? u.name : id; }
// Slack mrkdwn: the text arrives with &, <, > escaped; <...> are Slack's own tokens.
function mrkdwn(text) {
  const parts = String(text).split(/(<[^<>]*>)/g).map((part) => {
    const m = /^<(.*)>$/.exec(part);
    if (!m) {
      return esc(part)
        .replace(/\`([^\`]+)\`/g, '<code>$1</code>')
        .replace(/(^|[\\s(])\\*([^*\\n]+)\\*/g, '$1<b>$2</b>')
        .replace(/(^|[\\s(])_([^_\\n]+)_/g, '$1<i>$2</i>')
        .replace(/:([a-z_]+):/g, (all, name) => ({ rocket: '🚀', white_check_mark: '✅', no_entry: '⛔', hourglass: '⌛', warning: '⚠️', x: '❌', lock: '🔒', unlock: '🔓', wastebasket: '🗑️', mag: '🔍' }[name] || all));
    }
    const token = m[1];
    if (token.startsWith('@')) return '<b>@' + escAll(userName(token.slice(1).split('|')[0])) + '</b>';
    if (token.startsWith('!subteam^')) return '<b>@' + escAll(token.slice(9).split('|')[0]) + '</b>';
    if (token.startsWith('!date^')) return escAll(token.split('|').slice(1).join('|'));
    if (token.startsWith('!')) return '<b>@' + escAll(token.slice(1)) + '</b>';
    const [url, label] = token.split('|');
    return /^https?:/.test(url) ? '<a href="' + escAll(url) + '" target="_blank" rel="noopener">' + escAll(label || url) + '</a>' : escAll(part);
  });
  return parts.join('');
}
function textObj(t) { return !t ? '' : t.type === 'mrkdwn' ? mrkdwn(t.text) : escAll(t.text); }
function renderBlocks(blocks, ts) {
  return (blocks || []).map((b) => {
    switch (b.type) {
      case 'header': return '<div class="hdr">' + textObj(b.text) + '</div>';
      case 'divider': return '<hr>';
      case 'context': return '<div class="ctx">' + (b.elements || []).map((e) => e.type === 'image' ? '' : textObj(e)).join(' ') + '</div>';
      case 'image': return '<img class="blk" src="' + escAll(b.image_url) + '" alt="' + escAll(b.alt_text || '') + '">';
      case 'section': return '<div class="sec">' + textObj(b.text) + (b.fields ? '<div class="fields">' + b.fields.map((f) => '<div>' + textObj(f) + '</div>').join('') + '</div>' : '') + (b.accessory && b.accessory.type === 'button' ? button(b.accessory, ts) : '') + '</div>';
      case 'actions': return '<div class="sec">' + (b.elements || []).filter((e) => e.type === 'button').map((e) => button(e, ts)).join('') + '</div>';
      default: return '';
    }
  }).join('');
}
function button(e, ts) {
  const confirm = e.confirm ? ' data-confirm="' + escAll((e.confirm.title && e.confirm.title.text || '') + '\\n' + (e.confirm.text && e.confirm.text.text || '')) + '"' : '';
  return '<button class="' + (e.style || '') + '" data-action="' + escAll(e.action_id) + '" data-ts="' + escAll(ts) + '" data-value="' + escAll(e.value || '') + '"' + confirm + '>' + escAll(e.text.text) + '</button>';
}
function render() {
  const feed = $('feed');
  const nearBottom = feed.scrollHeight - feed.scrollTop - feed.clientHeight < 80;
  const items = [
    ...state.messages.map((m) => ({ at: Number(m.threadTs || m.ts), sub: m.threadTs ? Number(m.ts) : 0, html: '<div class="msg' + (m.threadTs ? ' reply' : '') + '"><div class="meta">liftoff · ' + new Date(Number(m.ts) * 1000).toLocaleTimeString() + (m.edited ? ' (edited)' : '') + '</div>' + (m.blocks ? renderBlocks(m.blocks, m.ts) : '<div class="sec">' + mrkdwn(m.text) + '</div>') + '</div>' })),
    ...state.ephemerals.map((e) => ({ at: Date.parse(e.at) / 1000, sub: 0, html: '<div class="msg ephemeral"><div class="meta">Only visible to you</div>' + (e.blocks ? renderBlocks(e.blocks, e.ts || '') : '<div class="sec">' + mrkdwn(e.text) + '</div>') + '</div>' })),
  ].sort((a, b) => a.at - b.at || a.sub - b.sub);
  feed.innerHTML = items.map((i) => i.html).join('');
  if (nearBottom) feed.scrollTop = feed.scrollHeight;
}
async function refresh() {
  const res = await fetch('/sandbox/state?user=' + encodeURIComponent(userSelect.value || ''));
  state = await res.json();
  if (!userSelect.options.length) {
    userSelect.innerHTML = state.users.map((u) => '<option value="' + escAll(u.id) + '">' + escAll(u.realName) + '</option>').join('');
    await refresh();
    return;
  }
  render();
}
async function post(path, body) {
  $('error').textContent = '';
  const res = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const answer = await res.json().catch(() => ({}));
  if (res.status !== 200 || answer.status >= 400) $('error').textContent = answer.error || ('Liftoff answered HTTP ' + (answer.status || res.status));
  await refresh();
}
$('send').addEventListener('submit', (event) => {
  event.preventDefault();
  const text = $('composer').value.trim();
  if (!text) return;
  $('composer').value = '';
  post('/sandbox/command', { userId: userSelect.value, text });
});
$('feed').addEventListener('click', (event) => {
  const b = event.target.closest('button[data-action]');
  if (!b) return;
  if (b.dataset.confirm && !window.confirm(b.dataset.confirm)) return;
  post('/sandbox/action', { userId: userSelect.value, actionId: b.dataset.action, messageTs: b.dataset.ts, value: b.dataset.value || undefined });
});
async function refreshWorld() {
  const world = await (await fetch('/sandbox/world')).json();
  $('faults').innerHTML = world.faults.map((f) => '<li><label><input type="checkbox" data-fault="' + escAll(f.name) + '"' + (f.on ? ' checked' : '') + '> ' + escAll(f.label) + '</label></li>').join('');
  $('builds').innerHTML = world.builds.map((b) => '<li>' + escAll(String(b.id).slice(0, 8)) + ' <b class="' + (b.status === 'SUCCESS' ? 'ok' : /FAIL|ERROR|TIMEOUT|CANCEL|EXPIRED/.test(b.status) ? 'bad' : '') + '">' + escAll(b.status) + '</b></li>').join('') || '<li>none yet</li>';
  const svc = world.services[0] || { trafficStatuses: [] };
  $('traffic').innerHTML = (svc.trafficStatuses || []).map((t) => '<li>' + escAll(t.revision || 'LATEST') + ' <b>' + escAll(t.percent || 0) + ' %</b>' + (t.tag ? ' tag ' + escAll(t.tag) : '') + '</li>').join('');
  $('revisions').innerHTML = world.revisions.map((r) => { const ready = (r.conditions || []).find((c) => c.type === 'Ready'); return '<li>' + escAll(String(r.name).split('/').pop()) + ' <span class="' + (ready && /SUCCEEDED/.test(String(ready.state)) ? 'ok">Ready' : 'bad">' + escAll(ready ? ready.state : '?')) + '</span></li>'; }).join('');
  $('commits').innerHTML = world.commits.map((c) => '<li><button class="commit" data-sha="' + escAll(c.sha) + '">' + escAll(c.sha.slice(0, 7)) + ' ' + escAll(c.subject) + '</button></li>').join('');
}
$('faults').addEventListener('change', async (event) => {
  const box = event.target.closest('input[data-fault]');
  if (!box) return;
  await fetch('/sandbox/fault', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: box.dataset.fault, on: box.checked }) });
  refreshWorld();
});
$('commits').addEventListener('click', async (event) => {
  const b = event.target.closest('button[data-sha]');
  if (!b) return;
  const commit = await (await fetch('/sandbox/commit?sha=' + encodeURIComponent(b.dataset.sha))).json();
  const doc = $('doc');
  doc.style.display = 'block';
  doc.textContent = commit.logs.length ? commit.logs.map((l) => '# ' + l.path + '\\n\\n' + l.content).join('\\n') : 'Files changed: ' + commit.files.join(', ');
  doc.focus();
});
setInterval(refreshWorld, 1500);
refreshWorld();
let showingHome = false;
async function showHome() {
  showingHome = true;
  const res = await fetch('/sandbox/home', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ userId: userSelect.value }) });
  const { view } = await res.json();
  $('feed').innerHTML = '<div class="msg">' + (view ? renderBlocks(view.blocks, '') : 'Liftoff published no App Home.') + '</div>';
}
$('tab-home').addEventListener('click', showHome);
$('tab-channel').addEventListener('click', () => { showingHome = false; refresh(); });
userSelect.addEventListener('change', () => (showingHome ? showHome() : refresh()));
new EventSource('/sandbox/events').addEventListener('changed', () => { if (!showingHome) refresh(); });
refresh();
$('composer').focus();
</script>
</body>
</html>
`;
