/* backup-auditor report script: renders the findings table and the evidence drawer from the
   JSON data island. Every value from the data goes into the page as text (textContent, text
   nodes, attribute values) and never as markup, so a hostile tag value stays inert.
   This file is rendered as a template: do not write two opening braces in a row. */
(function () {
  'use strict';
  var t0 = performance.now();
  var D = JSON.parse(document.getElementById('data').textContent);
  var tParsed = performance.now();
  var S = D.strings;
  var F = D.findings;
  var C = {};
  D.columns.forEach(function (c, i) { C[c] = i; });
  var PAGE = 200;
  var SEV_RANK = {};
  D.severities.forEach(function (s, i) { SEV_RANK[s] = i; });
  var ruleSev = D.rules.map(function (r) { return SEV_RANK[r.severity]; });
  var fmt = function (n) { return n.toLocaleString('en-US'); };
  var $ = function (id) { return document.getElementById(id); };

  /* h('div', {class: 'x'}, 'text', child): builds elements; strings become text nodes. */
  function h(tag, props) {
    var e = document.createElement(tag);
    if (props) {
      Object.keys(props).forEach(function (k) {
        var v = props[k];
        if (v === null || v === undefined || v === false) return;
        if (k === 'class') e.className = v;
        else if (k === 'text') e.textContent = v;
        else e.setAttribute(k, v === true ? '' : String(v));
      });
    }
    for (var i = 2; i < arguments.length; i++) add(e, arguments[i]);
    return e;
  }
  function add(e, kid) {
    if (kid === null || kid === undefined || kid === false) return;
    if (Array.isArray(kid)) { kid.forEach(function (k) { add(e, k); }); return; }
    e.appendChild(kid instanceof Node ? kid : document.createTextNode(String(kid)));
  }
  function badge(status) {
    return h('span', { class: 'badge st-' + status }, status.replace('_', ' ').replace('_', ' '));
  }
  function sev(s) { return h('span', { class: 'sev sev-' + s }, s); }
  function str(r, col) { return S[r[C[col]] || 0]; }

  /* ---- dimensions ---- */
  var scopeAcct = [], scopeRegion = [];
  var accounts = [], acctIndex = {}, regions = [], regionIndex = {};
  D.scopes.forEach(function (s, i) {
    if (!(s.account_id in acctIndex)) {
      acctIndex[s.account_id] = accounts.length;
      accounts.push({ id: s.account_id, name: s.account_name });
    }
    if (!(s.region in regionIndex)) { regionIndex[s.region] = regions.length; regions.push(s.region); }
    scopeAcct[i] = acctIndex[s.account_id];
    scopeRegion[i] = regionIndex[s.region];
  });
  var storyByArn = new Map();
  D.stories.forEach(function (st) { storyByArn.set(st.resource.arn, st); });

  /* ---- filters ---- */
  var filters = {
    account: { el: $('f-account'), get: function (r) { return scopeAcct[r[2]]; } },
    region: { el: $('f-region'), get: function (r) { return scopeRegion[r[2]]; } },
    type: { el: $('f-type'), get: function (r) { return r[3]; } },
    rule: { el: $('f-rule'), get: function (r) { return r[0]; } },
    severity: { el: $('f-severity'), get: function (r) { return ruleSev[r[0]]; } },
    status: { el: $('f-status'), get: function (r) { return r[1]; } }
  };
  /* Since the last scan: the change column (0: unchanged, or no baseline). */
  if (D.changes) {
    filters.change = { el: $('f-change'), get: function (r) { return r[C.change] || 0; } };
    filters.change.el.hidden = false;
  }
  function counts(get, n) {
    var c = new Array(n).fill(0);
    for (var i = 0; i < F.length; i++) c[get(F[i])]++;
    return c;
  }
  function fill(key, labels, order) {
    var f = filters[key];
    var c = counts(f.get, labels.length);
    (order || labels.map(function (_, i) { return i; })).forEach(function (i) {
      if (!c[i]) return;
      f.el.appendChild(h('option', { value: String(i) }, labels[i] + ' (' + fmt(c[i]) + ')'));
    });
  }
  var byLabel = function (labels) {
    return labels.map(function (_, i) { return i; }).sort(function (a, b) {
      return labels[a] < labels[b] ? -1 : labels[a] > labels[b] ? 1 : 0;
    });
  };
  var acctLabels = accounts.map(function (a) { return a.name ? a.name + ' · ' + a.id : a.id; });
  fill('account', acctLabels, accounts.map(function (_, i) { return i; }).sort(function (a, b) {
    return accounts[a].id < accounts[b].id ? -1 : 1;
  }));
  fill('region', regions, byLabel(regions));
  fill('type', D.types, byLabel(D.types));
  fill('rule', D.rules.map(function (r) { return r.id; }), byLabel(D.rules.map(function (r) { return r.id; })));
  fill('severity', D.severities);
  fill('status', D.statuses.map(function (s) { return s.replace(/_/g, ' '); }));
  if (D.changes) {
    /* "new since last scan", or "new with this change" for a planned change (the template says). */
    var newLabel = $('f-change').getAttribute('data-new') || 'new since last scan';
    fill('change', D.changes.map(function (c) {
      return c === 'new' ? newLabel : c.replace(/-/g, ' ');
    }), D.changes.map(function (_, i) { return i; }).slice(1));
  }

  /* ---- search: match the string table once, then rows by index ---- */
  var lower = null, tagText = null;
  var STR_COLS = ['arn', 'name', 'reason', 'plan', 'selection', 'backup_rule', 'vault', 'recovery_point', 'through']
    .map(function (c) { return C[c]; });
  function searchMask(q) {
    if (!lower) {
      lower = S.map(function (s) { return s.toLowerCase(); });
      // Tag values are searchable for the resources whose story is embedded.
      var index = new Map();
      S.forEach(function (s, i) { index.set(s, i); });
      tagText = [];
      D.stories.forEach(function (st) {
        var k = index.get(st.resource.arn);
        if (k === undefined) return;
        tagText.push([k, st.resource.tags.map(function (kv) { return kv[0] + '=' + kv[1]; }).join('\n').toLowerCase()]);
      });
    }
    var m = new Uint8Array(S.length);
    for (var i = 0; i < lower.length; i++) if (lower[i].indexOf(q) >= 0) m[i] = 1;
    for (var j = 0; j < tagText.length; j++) if (tagText[j][1].indexOf(q) >= 0) m[tagText[j][0]] = 1;
    var hit = function (labels) {
      return labels.map(function (l) { return String(l).toLowerCase().indexOf(q) >= 0; });
    };
    return {
      s: m,
      rule: hit(D.rules.map(function (r) { return r.id + ' ' + r.title; })),
      acct: hit(acctLabels),
      region: hit(regions),
      type: hit(D.types)
    };
  }
  function rowMatches(r, m) {
    for (var k = 0; k < STR_COLS.length; k++) if (m.s[r[STR_COLS[k]] || 0]) return true;
    return m.rule[r[0]] || m.acct[scopeAcct[r[2]]] || m.region[scopeRegion[r[2]]] || m.type[r[3]];
  }

  /* ---- sorting ---- */
  var sortKey = null, sortDir = 1;
  var KEYS = {
    status: function (r) { return r[1]; },
    severity: function (r) { return ruleSev[r[0]]; },
    rule: function (r) { return D.rules[r[0]].id; },
    account: function (r) { return acctLabels[scopeAcct[r[2]]] + ' ' + regions[scopeRegion[r[2]]]; },
    resource: function (r) { return (str(r, 'name') || str(r, 'arn')).toLowerCase(); },
    reason: function (r) { return str(r, 'reason').toLowerCase(); }
  };

  /* ---- state and rendering ---- */
  var view = [];
  var page = 0;
  var selected = -1;
  var tbody = $('rows');

  function apply(keepPage) {
    var active = [];
    Object.keys(filters).forEach(function (k) {
      var f = filters[k];
      f.el.classList.toggle('active', f.el.value !== '');
      if (f.el.value !== '') active.push([f.get, Number(f.el.value)]);
    });
    var q = $('q').value.trim().toLowerCase();
    var m = q ? searchMask(q) : null;
    var out = [];
    outer: for (var i = 0; i < F.length; i++) {
      var r = F[i];
      for (var a = 0; a < active.length; a++) if (active[a][0](r) !== active[a][1]) continue outer;
      if (m && !rowMatches(r, m)) continue;
      out.push(i);
    }
    if (sortKey) {
      var key = KEYS[sortKey];
      var keys = new Map();
      out.forEach(function (i) { keys.set(i, key(F[i])); });
      out.sort(function (a, b) {
        var x = keys.get(a), y = keys.get(b);
        if (x < y) return -sortDir;
        if (x > y) return sortDir;
        return a - b;
      });
    }
    view = out;
    if (!keepPage) page = 0;
    render();
  }

  function render() {
    var pages = Math.max(1, Math.ceil(view.length / PAGE));
    if (page >= pages) page = pages - 1;
    var start = page * PAGE, end = Math.min(view.length, start + PAGE);
    var frag = document.createDocumentFragment();
    for (var k = start; k < end; k++) frag.appendChild(row(view[k]));
    if (!view.length) {
      frag.appendChild(h('tr', { class: 'empty-row' }, h('td', { colspan: '6' }, 'No finding matches these filters.')));
    }
    tbody.replaceChildren(frag);
    var total = F.length;
    $('count').textContent = view.length === total
      ? fmt(total) + ' findings' + (D.findings_total > total ? ' (of ' + fmt(D.findings_total) + ' in findings.csv)' : '')
      : fmt(view.length) + ' of ' + fmt(total) + ' findings match';
    $('pg-label').textContent = view.length
      ? fmt(start + 1) + '–' + fmt(end) + ' · page ' + fmt(page + 1) + ' of ' + fmt(pages)
      : '';
    $('pg-prev').disabled = page === 0;
    $('pg-next').disabled = page >= pages - 1;
  }

  function row(i) {
    var r = F[i];
    var rule = D.rules[r[0]];
    var change = D.changes ? D.changes[r[C.change] || 0] : '';
    var a = accounts[scopeAcct[r[2]]];
    var name = str(r, 'name'), arn = str(r, 'arn');
    var tr = h('tr', { tabindex: '0', 'data-i': i, class: i === selected ? 'selected' : null },
      h('td', null, badge(D.statuses[r[1]]),
        change ? h('span', { class: 'change ch-' + change }, change.replace(/-/g, ' ')) : null),
      h('td', null, sev(rule.severity)),
      h('td', { class: 'rule', title: rule.title }, h('code', null, rule.id)),
      h('td', { class: 'acct' },
        h('span', { class: 'acct-name' }, a.name || a.id),
        h('span', { class: 'acct-id' }, a.id),
        h('span', { class: 'region' }, regions[scopeRegion[r[2]]])),
      h('td', { class: 'res' },
        h('span', { class: 'name' }, name || (arn ? '' : '(whole account-region)')),
        h('span', { class: 'type' }, D.types[r[3]]),
        arn && arn !== name ? h('span', { class: 'arn' }, arn) : null),
      h('td', { class: 'reason' }, h('div', null, str(r, 'reason')))
    );
    return tr;
  }

  /* ---- evidence drawer ---- */
  var byArn = null;
  function findingsOf(arnIdx) {
    if (!byArn) {
      byArn = new Map();
      for (var i = 0; i < F.length; i++) {
        var k = F[i][C.arn];
        if (!byArn.has(k)) byArn.set(k, []);
        byArn.get(k).push(i);
      }
    }
    return byArn.get(arnIdx) || [];
  }
  function kv(pairs) {
    var dl = h('dl', { class: 'kv' });
    pairs.forEach(function (p) {
      if (p[1] === null || p[1] === undefined || p[1] === '') return;
      dl.appendChild(h('dt', null, p[0]));
      dl.appendChild(h('dd', null, p[1]));
    });
    return dl;
  }
  function section(title) {
    var kids = Array.prototype.slice.call(arguments, 1);
    return h('section', { class: 'ev-section' }, h('h3', null, title), kids);
  }
  // Where a plan came from, as explain.txt.j2 tells it; nothing for the account's own plans.
  function planSource(src) {
    var text = {
      'org-policy': 'made by an org backup policy: the management account\'s opt-in applies',
      'control-tower': 'made by Control Tower\'s org backup policy: the management account\'s opt-in applies',
      'efs-automatic': 'AWS-managed: EFS automatic backups'
    }[src];
    return text ? h('span', { class: 'muted' }, '(' + text + ')') : null;
  }
  // The IAM role AWS Backup assumes for a selection's jobs, as explain.txt.j2 tells it.
  function roleLine(r) {
    var state = {
      trusted: 'exists, and its trust policy lets backup.amazonaws.com assume it',
      missing: 'DOES NOT EXIST in this account: AWS Backup cannot assume it',
      untrusted: 'NOT TRUSTED: ' + r.reason,
      unknown: 'unknown: ' + r.reason,
      'not-checked': 'not checked (the snapshot has no iam-roles.json)'
    }[r.state];
    return 'role ' + (r.arn || '(none)') + ': ' + state +
      '; its permissions are not checked (job results show whether jobs succeed)' +
      (r.name_without_awsbackup ? '. Its name lacks "AWSBackup"; AWS documents that such roles may lack the permissions backup jobs need' : '');
  }

  function tri(v, yes, no, unknown) {
    var label = v === 'yes' ? yes : v === 'no' ? no : unknown;
    return h('span', { class: 'badge ' + (v === 'yes' ? 'yes' : v === 'no' ? 'no' : 'unknown') }, label);
  }
  function retention(r) {
    if (!r) return '';
    return r.kind === 'forever' ? 'forever' : r.days + ' days';
  }

  function storyView(st) {
    var res = st.resource;
    var out = [];
    var tags = res.tags.length
      ? h('table', { class: 'tags' }, h('tbody', null, res.tags.map(function (t) {
        return h('tr', null, h('td', null, t[0]), h('td', null, t[1]));
      })))
      : h('span', { class: 'muted' }, '(no tags)');
    out.push(section('Resource', kv([
      ['Name', res.name],
      ['Type', res.resource_type + ' (Config ' + res.config_type + ', AWS Backup type "' + res.backup_type + '")'],
      ['Account', res.account_id + (res.account_name ? ' (' + res.account_name + ')' : '')],
      ['Region', res.region],
      ['State', res.state],
      ['Cluster', res.cluster ? res.cluster + ' — AWS Backup backs up the cluster, not its instances' : null],
      ['Attached to', res.attached_to.length ? res.attached_to.join(', ') : null],
      ['Region opt-in', st.opt_in === null ? 'unknown (region settings could not be read)' : st.opt_in ? 'on for ' + res.backup_type : 'OFF for ' + res.backup_type],
      ['Tags', tags]
    ])));
    out.push(section('Plans and selections in ' + res.account_id + '/' + res.region,
      st.selections.length ? st.selections.map(function (s) {
        return h('div', { class: 'story-item' },
          h('div', { class: 'head' }, tri(s.selected, 'selected', 'not selected', 'unknown'),
            h('b', null, s.plan), planSource(s.plan_source), h('span', { class: 'muted' }, '/ selection ' + s.selection)),
          h('div', { class: 'why' }, s.reason),
          s.role ? h('div', { class: 'why' }, roleLine(s.role)) : null);
      }) : h('p', { class: 'muted' }, 'No backup plans in this account and region.')));
    out.push(section('Backup rules that apply',
      st.rules.length ? st.rules.map(function (b) {
        var sched = b.schedule + ' in ' + b.timezone + (b.schedule_defaulted ? ' (AWS default: the rule has none)' : '');
        var ret = retention(b.retention) + (b.cold_after_days ? ', cold after ' + b.cold_after_days + ' days' +
          (b.cold_storage === 'supported' ? '' : ' (if AWS Backup moves this type to cold storage: not confirmed)') : '') +
          (b.cold_storage && !b.cold_after_days ? '; its cold-storage transition is ignored for this type' : '');
        return h('div', { class: 'story-item' },
          h('div', { class: 'head' }, tri(b.effective, 'effective', 'INEFFECTIVE', 'unknown'),
            h('b', null, b.plan + ' / ' + b.rule), planSource(b.plan_source), h('span', { class: 'muted' }, 'selection ' + b.selection)),
          b.state_reason ? h('div', { class: 'why' }, b.state_reason) : null,
          kv([
            ['Through', b.through],
            ['Schedule', sched],
            ['Worst interval', b.worst_interval],
            ['Start window', b.start_window_minutes ? b.start_window_minutes + ' min' : null],
            ['Retention', ret],
            ['Continuous', b.continuous ? 'yes (point-in-time recovery)' : null],
            ['Vault', b.vault + (b.vault_lock && b.vault_lock.mode !== 'unlocked' ? ' (Vault Lock, ' + b.vault_lock.mode +
              (b.vault_lock.until ? ' until ' + b.vault_lock.until : '') +
              (b.vault_lock.min_retention_days ? ', min ' + b.vault_lock.min_retention_days + ' days' : '') +
              (b.vault_lock.max_retention_days ? ', max ' + b.vault_lock.max_retention_days + ' days' : '') + ')' : '')],
            ['Copies', b.copies.length ? b.copies.map(function (c) {
              return c.destination_vault_arn + ' kept ' + retention(c.retention) + (c.inherited ? ' (inherited)' : '') +
                (c.delivers === 'no' ? ': cannot happen: ' + c.delivery_reason : c.delivers === 'unknown' ? ': whether it happens is unknown: ' + c.delivery_reason : '');
            }).join('\n') : 'none']
          ]));
      }) : h('p', { class: 'muted' }, 'No backup rule applies to this resource.')));
    var rps = st.recovery_points;
    // Backup access points are explained, not judged: a column only where a point has one.
    var withAp = rps.some(function (p) { return p.access_points; });
    out.push(section('Recovery points (newest first)',
      rps.length ? h('table', { class: 'rp-table' },
        h('thead', null, h('tr', null, h('th', null, 'Status'), h('th', null, 'Created'), h('th', null, 'Vault'), h('th', null, 'Deleted at'), h('th', null, 'Encrypted'), h('th', null, 'Malware scan'),
          withAp ? h('th', null, 'Backup access points') : null)),
        h('tbody', null, rps.map(function (p) {
          return h('tr', { title: p.arn }, h('td', null, p.status), h('td', { class: 'nowrap' }, p.created || '?'),
            h('td', null, p.vault), h('td', { class: 'nowrap' }, p.delete_at || 'never'),
            h('td', null, p.encrypted === null ? '?' : p.encrypted ? 'yes' : 'NO'),
            h('td', null, p.malware_scan || '—'),
            withAp ? h('td', null, p.access_points ? p.access_points.join(', ') : '—') : null);
        }))) : h('p', { class: 'muted' }, 'None found.'),
      withAp ? h('p', { class: 'note' }, 'While a backup access point is active, AWS Backup pauses its recovery point\'s lifecycle and blocks its deletion.') : null,
      st.recovery_points_total > rps.length
        ? h('p', { class: 'note' }, 'Showing ' + rps.length + ' of ' + fmt(st.recovery_points_total) + ' recovery points.') : null));
    if (st.warm_tier) {
      out.push(section('Warm tier',
        h('ul', null, st.warm_tier.map(function (t) { return h('li', null, t); })),
        h('p', { class: 'note' }, 'Tiering configurations that select this bucket. The move is one-way: points stay in the warm tier until they are deleted.')));
    }
    return out;
  }

  function openEvidence(i) {
    var r = F[i];
    selected = i;
    Array.prototype.forEach.call(tbody.querySelectorAll('tr.selected'), function (tr) { tr.classList.remove('selected'); });
    var tr = tbody.querySelector('tr[data-i="' + i + '"]');
    if (tr) tr.classList.add('selected');
    var rule = D.rules[r[0]];
    var sc = D.scopes[r[2]];
    var type = D.types[r[3]];
    var arn = str(r, 'arn'), name = str(r, 'name');
    var ownArn = type === 'recovery-point' ? name : arn;
    var st = storyByArn.get(ownArn);
    $('ev-title').textContent = (type === 'recovery-point' ? 'Recovery point of ' : '') + (name || arn || sc.account_id + '/' + sc.region);
    $('ev-sub').textContent = arn && arn !== name ? arn : type;
    var body = [];
    var w = r[C.waiver] ? D.waivers[r[C.waiver] - 1] : null;
    body.push(section('Finding',
      h('div', { class: 'verdict-box' },
        h('div', { class: 'head' }, badge(D.statuses[r[1]]), ' ', sev(rule.severity), ' ',
          h('a', { href: '#rule-' + rule.id, class: 'rule-link' }, rule.id)),
        h('div', { class: 'reason' }, str(r, 'reason'))),
      kv([
        ['Rule', rule.title],
        ['Account', sc.account_id + (sc.account_name ? ' (' + sc.account_name + ')' : '')],
        ['Region', sc.region],
        ['Type', type],
        ['Plan', str(r, 'plan')],
        ['Selection', str(r, 'selection')],
        ['Backup rule', str(r, 'backup_rule')],
        ['Vault', str(r, 'vault')],
        ['Recovery point', str(r, 'recovery_point')],
        ['Through', str(r, 'through')],
        ['Waiver', w ? w.reason + (w.owner ? ' — owner ' + w.owner : '') + (w.expires ? ', until ' + w.expires : '') + ' (' + w.source + ')' : null]
      ])));
    if (st) body = body.concat(storyView(st));
    var own = findingsOf(r[C.arn]);
    if (arn && own.length > 1) {
      body.push(section('All findings for this ' + (type === 'recovery-point' ? 'recovery point' : type === 'backup-vault' ? 'vault' : 'resource') + ' in this report',
        h('ul', { class: 'verdict-list' }, own.map(function (j) {
          var o = F[j];
          return h('li', { 'data-i': j, class: j === i ? 'current' : null, tabindex: '0' },
            h('span', null, badge(D.statuses[o[1]])),
            h('span', null, h('span', { class: 'r' }, D.rules[o[0]].id), h('div', { class: 't' }, str(o, 'reason'))));
        }))));
    }
    if (ownArn && type !== 'backup-vault') {
      body.push(section(st ? 'The same story on the command line' : 'The full story',
        st ? null : h('p', { class: 'note' }, 'The selections, rules and recovery points of this resource are not embedded in this report (it keeps them for at most ' + fmt(D.stories_included) + ' resources). Run:'),
        h('pre', { class: 'cli' }, 'backup-auditor explain ' + D.meta.snapshot + ' ' + ownArn)));
    }
    $('ev-body').replaceChildren.apply($('ev-body'), body);
    $('ev-body').scrollTop = 0;
    $('evidence').hidden = false;
    $('evidence-backdrop').hidden = false;
    $('ev-close').focus();
  }
  function closeEvidence() {
    $('evidence').hidden = true;
    $('evidence-backdrop').hidden = true;
    var tr = tbody.querySelector('tr[data-i="' + selected + '"]');
    if (tr) tr.focus();
  }

  /* ---- wiring ---- */
  tbody.addEventListener('click', function (e) {
    var tr = e.target.closest('tr[data-i]');
    if (tr) openEvidence(Number(tr.getAttribute('data-i')));
  });
  tbody.addEventListener('keydown', function (e) {
    if (e.key !== 'Enter' && e.key !== ' ') return;
    var tr = e.target.closest('tr[data-i]');
    if (tr) { e.preventDefault(); openEvidence(Number(tr.getAttribute('data-i'))); }
  });
  $('ev-body').addEventListener('click', function (e) {
    var li = e.target.closest('li[data-i]');
    if (li) openEvidence(Number(li.getAttribute('data-i')));
    var a = e.target.closest('a.rule-link');
    if (a) {
      closeEvidence();
      var d = document.getElementById(a.getAttribute('href').slice(1));
      if (d) d.open = true;
    }
  });
  $('ev-close').addEventListener('click', closeEvidence);
  $('evidence-backdrop').addEventListener('click', closeEvidence);
  document.addEventListener('keydown', function (e) {
    if (e.key === 'Escape' && !$('evidence').hidden) closeEvidence();
  });
  Object.keys(filters).forEach(function (k) { filters[k].el.addEventListener('change', function () { apply(); }); });
  var timer = null;
  $('q').addEventListener('input', function () {
    clearTimeout(timer);
    timer = setTimeout(function () { apply(); }, F.length > 20000 ? 200 : 60);
  });
  $('f-reset').addEventListener('click', function () {
    Object.keys(filters).forEach(function (k) { filters[k].el.value = ''; });
    $('q').value = '';
    sortKey = null;
    headers();
    apply();
  });
  $('pg-prev').addEventListener('click', function () { page--; render(); });
  $('pg-next').addEventListener('click', function () { page++; render(); });
  function headers() {
    Array.prototype.forEach.call(document.querySelectorAll('#table th[data-sort]'), function (th) {
      var k = th.getAttribute('data-sort');
      if (k === sortKey) th.setAttribute('aria-sort', sortDir > 0 ? 'ascending' : 'descending');
      else th.removeAttribute('aria-sort');
    });
  }
  Array.prototype.forEach.call(document.querySelectorAll('#table th[data-sort]'), function (th) {
    th.addEventListener('click', function () {
      var k = th.getAttribute('data-sort');
      if (sortKey === k) sortDir = -sortDir; else { sortKey = k; sortDir = 1; }
      headers();
      apply();
    });
  });

  /* Charts: a click filters the table. */
  function setFilter(key, value) {
    var el = filters[key].el;
    el.value = '';
    Array.prototype.forEach.call(el.options, function (o) {
      if (o.value !== '' && o.textContent.split(' (')[0] === value) el.value = o.value;
    });
  }
  function fromChart(g) {
    Object.keys(filters).forEach(function (k) { filters[k].el.value = ''; });
    $('q').value = '';
    var acct = g.getAttribute('data-account'), type = g.getAttribute('data-type');
    var rule = g.getAttribute('data-rule'), severity = g.getAttribute('data-severity');
    if (acct) {
      var i = acctIndex[acct];
      if (i !== undefined) setFilter('account', acctLabels[i]);
    }
    if (type) setFilter('type', type);
    if (rule) { setFilter('rule', rule); setFilter('status', 'FAIL'); }
    if (severity) { setFilter('severity', severity); setFilter('status', 'FAIL'); }
    apply();
    $('findings').scrollIntoView({ behavior: 'smooth', block: 'start' });
  }
  Array.prototype.forEach.call(document.querySelectorAll('svg.chart .link'), function (g) {
    g.addEventListener('click', function () { fromChart(g); });
    g.addEventListener('keydown', function (e) { if (e.key === 'Enter') fromChart(g); });
  });
  /* The trend: all accounts, or one account's coverage. */
  var trendSel = $('trend-account');
  var series = document.querySelectorAll('svg.trend .trend-acct');
  if (trendSel && series.length) {
    Array.prototype.forEach.call(series, function (g) {
      var id = g.getAttribute('data-account');
      var i = acctIndex[id];
      trendSel.appendChild(h('option', { value: id }, i === undefined ? id : acctLabels[i]));
    });
    trendSel.addEventListener('change', function () {
      var v = trendSel.value;
      Array.prototype.forEach.call(series, function (g) {
        g.setAttribute('display', g.getAttribute('data-account') === v ? 'inline' : 'none');
      });
      Array.prototype.forEach.call(document.querySelectorAll('svg.trend .trend-all'), function (e) {
        e.setAttribute('display', v ? 'none' : 'inline');
      });
    });
  } else if (trendSel) {
    trendSel.parentNode.hidden = true;
  }
  window.addEventListener('beforeprint', function () {
    Array.prototype.forEach.call(document.querySelectorAll('details'), function (d) { d.open = true; });
  });

  apply();
  var tDone = performance.now();
  window.__report = { parseMs: tParsed - t0, readyMs: tDone - t0, findings: F.length };
  document.documentElement.setAttribute('data-ready', '1');
})();
