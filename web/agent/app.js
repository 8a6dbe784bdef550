// The agent console: signs an agent in with email and password, opens the
// agent stream (GET /v1/agents/stream) and shows a card per ringing or
// current call, with the caller's details and a link to the CRM record.
//
// The access token is kept in sessionStorage, so it survives a reload of the
// tab, but a new tab or window shows the sign-in form again. It travels in the
// Authorization header of API requests and, for the stream, in the WebSocket
// subprotocol "bearer.<token>": never in a URL, which proxies log.
"use strict";

(() => {
  const sessionKey = "switchboard.agent.session";
  const recentLimit = 20;
  const reconnectMinMillis = 1000;
  const reconnectMaxMillis = 30000;

  // Statuses after which a call no longer changes. The card of such a call
  // moves to the recent calls.
  const finalStatuses = new Set(["completed", "missed", "busy", "failed", "cancelled", "voicemail"]);

  const statusLabels = {
    ringing: "Ringing",
    answered: "Answered",
    completed: "Ended",
    missed: "Missed",
    busy: "Busy",
    failed: "Failed",
    cancelled: "Cancelled",
    voicemail: "Voicemail",
  };

  const state = {
    session: null, // {token, expiresAt} with expiresAt in milliseconds since the epoch
    user: null,
    live: new Map(), // call id → CallPop of a ringing or answered call
    cards: new Map(), // call id → <li> of that call's card
    recent: [], // CallPop of ended calls, newest first
    notifications: new Map(), // call id → Notification shown while it rings
    socket: null,
    reconnectDelay: reconnectMinMillis,
    reconnectTimer: 0,
    // generation changes on sign-out, so work started before it is dropped.
    generation: 0,
  };

  const byId = (id) => document.getElementById(id);

  // Session storage.

  function loadSession() {
    try {
      const session = JSON.parse(sessionStorage.getItem(sessionKey) || "null");
      if (session && typeof session.token === "string" && session.expiresAt > Date.now()) {
        return session;
      }
    } catch {
      // A value that does not parse is dropped below.
    }
    sessionStorage.removeItem(sessionKey);
    return null;
  }

  function saveSession(token, expiresInSeconds) {
    const session = { token, expiresAt: Date.now() + expiresInSeconds * 1000 };
    sessionStorage.setItem(sessionKey, JSON.stringify(session));
    return session;
  }

  // API requests.

  // api sends a request with the session's token and returns the status
  // and the decoded JSON body, or null when the body is not JSON. It throws
  // only when the gateway cannot be reached.
  async function api(method, path, body) {
    const headers = { Accept: "application/json" };
    if (state.session) {
      headers.Authorization = "Bearer " + state.session.token;
    }
    const init = { method, headers, cache: "no-store" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }

    const response = await fetch(path, init);
    let data = null;
    try {
      data = await response.json();
    } catch {
      data = null;
    }
    return { status: response.status, data };
  }

  // problemDetail returns the detail of an RFC 9457 problem body, or
  // fallback.
  function problemDetail(data, fallback) {
    return data && typeof data.detail === "string" && data.detail ? data.detail : fallback;
  }

  // Sign-in and sign-out.

  async function submitSignIn(event) {
    event.preventDefault();
    const email = byId("email");
    const password = byId("password");
    const submit = byId("sign-in-submit");

    if (!email.value.trim() || !password.value) {
      showSignInError("Enter your email and password.", !email.value.trim() ? email : password);
      return;
    }

    submit.disabled = true;
    submit.textContent = "Signing in…";
    try {
      const { status, data } = await api("POST", "/v1/auth/sign-in", { email: email.value.trim(), password: password.value });
      if (status === 200 && data && data.access_token) {
        password.value = "";
        state.session = saveSession(data.access_token, data.expires_in || 3600);
        state.user = data.user || null;
        enterConsole();
        return;
      }
      showSignInError(signInMessage(status, data), password);
    } catch {
      showSignInError("The gateway could not be reached. Check your connection and try again.", email);
    } finally {
      submit.disabled = false;
      submit.textContent = "Sign in";
    }
  }

  function signInMessage(status, data) {
    if (status === 401) {
      return problemDetail(data, "The email or password is wrong.");
    }
    if (status === 429) {
      return problemDetail(data, "Too many sign-in attempts. Wait a minute and try again.");
    }
    return problemDetail(data, `Sign-in failed with status ${status}. Try again.`);
  }

  function showSignInError(message, field) {
    const error = byId("sign-in-error");
    error.textContent = message;
    error.hidden = false;
    for (const input of [byId("email"), byId("password")]) {
      input.setAttribute("aria-describedby", "sign-in-error");
      input.toggleAttribute("aria-invalid", input === field);
    }
    field.focus();
  }

  function showSignIn(message) {
    byId("console").hidden = true;
    byId("agent-info").hidden = true;
    byId("session-controls").hidden = true;
    byId("sign-in").hidden = false;
    document.title = "Switchboard agent console";

    const error = byId("sign-in-error");
    error.hidden = !message;
    error.textContent = message || "";
    byId("email").focus();
  }

  // signOut removes the token, closes the stream and clears the calls.
  // message, when given, is shown above the sign-in form.
  function signOut(message) {
    state.generation++;
    clearTimeout(state.reconnectTimer);
    closeSocket();
    sessionStorage.removeItem(sessionKey);
    state.session = null;
    state.user = null;
    state.live.clear();
    state.recent = [];
    for (const notification of state.notifications.values()) {
      notification.close();
    }
    state.notifications.clear();
    renderLive();
    renderRecent();
    showSignIn(message);
  }

  function sessionEnded() {
    signOut("Your session has ended. Sign in again.");
  }

  // The console.

  async function enterConsole() {
    const generation = state.generation;
    byId("sign-in").hidden = true;
    byId("console").hidden = false;
    byId("session-controls").hidden = false;
    setupNotificationButton();
    if (state.user) {
      renderUser();
    }
    byId("main").focus();

    try {
      const { status, data } = await api("GET", "/v1/agents/me");
      if (generation !== state.generation) {
        return;
      }
      if (status === 401) {
        sessionEnded();
        return;
      }
      if (status === 200 && data) {
        state.user = data;
        renderUser();
      }
    } catch {
      // The stream's reconnect loop reports the gateway as unreachable.
    }
    connect();
    loadRecent();
  }

  function renderUser() {
    const user = state.user;
    byId("agent-info").hidden = false;
    byId("agent-name").textContent = user.name || user.email || "Agent";

    const parts = [];
    if (user.extensions && user.extensions.length) {
      parts.push((user.extensions.length > 1 ? "Extensions " : "Extension ") + user.extensions.join(", "));
    }
    if (user.queues && user.queues.length) {
      parts.push((user.queues.length > 1 ? "Queues " : "Queue ") + user.queues.join(", "));
    }
    if (user.client_identities && user.client_identities.length) {
      parts.push("Client " + user.client_identities.join(", "));
    }
    byId("agent-routes").textContent = parts.join(" · ") || "No extension or queue";
  }

  async function loadRecent() {
    const generation = state.generation;
    const error = byId("recent-error");
    try {
      const { status, data } = await api("GET", `/v1/agents/me/calls?limit=${recentLimit}`);
      if (generation !== state.generation) {
        return;
      }
      if (status === 401) {
        sessionEnded();
        return;
      }
      if (status !== 200) {
        throw new Error(`status ${status}`);
      }
      error.hidden = true;
      mergeRecent(callsOf(data));
    } catch {
      if (generation === state.generation) {
        error.textContent = "Recent calls could not be loaded. Reload the page to try again.";
        error.hidden = false;
      }
    }
  }

  // callsOf returns the calls in the data array of a
  // GET /v1/agents/me/calls response.
  function callsOf(data) {
    return data && Array.isArray(data.data) ? data.data : [];
  }

  // mergeRecent adds the ended calls of calls to the recent list and
  // replaces a call that is already listed.
  function mergeRecent(calls) {
    const byCall = new Map(state.recent.map((call) => [call.id, call]));
    for (const call of calls) {
      if (call && finalStatuses.has(call.status)) {
        byCall.set(call.id, call);
      }
    }
    state.recent = [...byCall.values()]
      .sort((a, b) => callTime(b) - callTime(a))
      .slice(0, recentLimit);
    renderRecent();
  }

  function callTime(call) {
    return Date.parse(call.ended_at || call.started_at || "") || 0;
  }

  // The agent stream.

  function connect() {
    clearTimeout(state.reconnectTimer);
    closeSocket();
    setConnection("connecting", "Connecting…");

    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    let socket;
    try {
      socket = new WebSocket(`${scheme}//${location.host}/v1/agents/stream`, ["bearer." + state.session.token]);
    } catch {
      scheduleReconnect();
      return;
    }
    state.socket = socket;
    socket.addEventListener("message", (event) => receive(event.data));
    socket.addEventListener("close", () => {
      if (state.socket === socket) {
        state.socket = null;
        scheduleReconnect();
      }
    });
  }

  function closeSocket() {
    const socket = state.socket;
    state.socket = null;
    if (socket) {
      socket.close(1000, "closed by the console");
    }
  }

  // scheduleReconnect waits, doubling the wait after each failure up to
  // reconnectMaxMillis, then checks the token before it connects again. A
  // browser cannot read why a WebSocket handshake failed, so a 401 from
  // GET /v1/agents/me is how an expired or revoked token shows.
  function scheduleReconnect() {
    const delay = Math.round(state.reconnectDelay * (0.75 + Math.random() * 0.5));
    state.reconnectDelay = Math.min(state.reconnectDelay * 2, reconnectMaxMillis);
    setConnection("offline", `Disconnected. Reconnecting in ${Math.ceil(delay / 1000)} s…`);
    const generation = state.generation;
    state.reconnectTimer = setTimeout(() => reconnect(generation), delay);
  }

  async function reconnect(generation) {
    if (generation !== state.generation || !state.session) {
      return;
    }
    try {
      const { status } = await api("GET", "/v1/agents/me");
      if (generation !== state.generation) {
        return;
      }
      if (status === 401) {
        sessionEnded();
        return;
      }
    } catch {
      scheduleReconnect();
      return;
    }
    connect();
  }

  function setConnection(name, text) {
    const status = byId("connection-status");
    status.dataset.state = name;
    status.textContent = text;
  }

  function receive(raw) {
    let message;
    try {
      message = JSON.parse(raw);
    } catch {
      return;
    }

    switch (message.type) {
      case "hello":
        state.user = message.user;
        state.reconnectDelay = reconnectMinMillis;
        renderUser();
        setConnection("connected", "Connected");
        break;
      case "snapshot":
        applySnapshot(message.calls || []);
        break;
      case "call":
        if (message.call && message.call.id) {
          applyCall(message.call);
        }
        break;
    }
  }

  // applySnapshot replaces the live calls with those of a (re)connect. A
  // call that was live and is missing ended while the stream was down, so
  // the recent calls are loaded again.
  function applySnapshot(calls) {
    const previous = new Set(state.live.keys());
    state.live.clear();
    for (const call of calls) {
      if (call && call.id && !finalStatuses.has(call.status)) {
        state.live.set(call.id, call);
      }
    }
    renderLive();
    if ([...previous].some((id) => !state.live.has(id))) {
      loadRecent();
    }
  }

  function applyCall(call) {
    const isNew = !state.live.has(call.id);
    if (finalStatuses.has(call.status)) {
      state.live.delete(call.id);
      closeNotification(call.id);
      mergeRecent([call]);
      renderLive();
      return;
    }
    if (state.recent.some((ended) => ended.id === call.id)) {
      return; // a late update of a call that has already ended
    }

    state.live.set(call.id, call);
    renderLive();
    if (call.status !== "ringing") {
      closeNotification(call.id);
    } else if (isNew) {
      byId("announcer").textContent = `Incoming call from ${callerName(call)}` +
        (companyOf(call) ? `, ${companyOf(call)}` : "") + ".";
      notify(call);
    }
  }

  // Rendering.

  function callerName(call) {
    const contact = call.contact;
    const contactName = contact &&
      (contact.display_name || [contact.first_name, contact.last_name].filter(Boolean).join(" "));
    return call.caller_name || contactName || callerNumber(call) || "Unknown caller";
  }

  function callerNumber(call) {
    return (call.from && (call.from.e164 || call.from.raw)) || "";
  }

  function companyOf(call) {
    return call.company || (call.contact && call.contact.company) || "";
  }

  function statusText(call) {
    if (call.status === "answered" && call.answered_by) {
      return `Answered by ${call.answered_by}`;
    }
    return statusLabels[call.status] || call.status;
  }

  // crmURL returns the call's CRM link when it is an http or https URL, and
  // null otherwise, so a javascript: URL in extra_data cannot run.
  function crmURL(call) {
    if (typeof call.crm_url !== "string" || !call.crm_url) {
      return null;
    }
    try {
      const url = new URL(call.crm_url);
      return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
    } catch {
      return null;
    }
  }

  const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
  const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "short", timeStyle: "short" });

  function formatTime(iso, withDate) {
    const date = new Date(iso);
    if (!iso || Number.isNaN(date.getTime())) {
      return "";
    }
    const today = new Date().toDateString() === date.toDateString();
    return (withDate && !today ? dateTimeFormat : timeFormat).format(date);
  }

  function formatDuration(seconds) {
    if (!seconds) {
      return "";
    }
    const minutes = Math.floor(seconds / 60);
    return minutes ? `${minutes} min ${seconds % 60} s` : `${seconds} s`;
  }

  // fieldLabel turns an extra_data key such as "owner_extension" into
  // "Owner extension".
  function fieldLabel(key) {
    const words = key.replace(/[_-]+/g, " ").trim();
    return words.charAt(0).toUpperCase() + words.slice(1);
  }

  function fieldValue(value) {
    if (value === null || value === undefined || value === "") {
      return "—";
    }
    return typeof value === "object" ? JSON.stringify(value) : String(value);
  }

  function renderLive() {
    for (const [id, card] of state.cards) {
      if (!state.live.has(id)) {
        card.remove();
        state.cards.delete(id);
      }
    }

    const ordered = [...state.live.values()].sort(compareLive);
    for (const call of ordered) {
      let card = state.cards.get(call.id);
      if (!card) {
        card = byId("call-card-template").content.firstElementChild.cloneNode(true);
        state.cards.set(call.id, card);
      }
      fillCard(card, call);
    }
    placeCards(ordered.map((call) => state.cards.get(call.id)));

    byId("live-empty").hidden = state.live.size > 0;
    const ringing = [...state.live.values()].filter((call) => call.status === "ringing").length;
    document.title = (ringing ? `(${ringing}) ` : "") + "Switchboard agent console";
  }

  // compareLive puts ringing calls before answered ones, and newer calls
  // first within each group.
  function compareLive(a, b) {
    const ringing = Number(b.status === "ringing") - Number(a.status === "ringing");
    return ringing || Date.parse(b.started_at || "") - Date.parse(a.started_at || "") || 0;
  }

  // placeCards puts the cards in the list in the given order. Moving an
  // element takes the focus away from it, so the focus is put back.
  function placeCards(cards) {
    const list = byId("live-calls");
    const current = [...list.children];
    if (current.length === cards.length && current.every((card, i) => card === cards[i])) {
      return;
    }
    const focused = document.activeElement;
    list.append(...cards);
    if (focused && focused !== document.activeElement && list.contains(focused)) {
      focused.focus();
    }
  }

  function fillCard(card, call) {
    card.dataset.callId = call.id;
    card.dataset.status = call.status;
    const name = callerName(call);
    card.querySelector("article").setAttribute("aria-label", `Call from ${name}`);
    card.querySelector(".call-status").textContent = statusText(call);

    const time = card.querySelector("time");
    time.dateTime = call.answered_at || call.started_at || "";
    time.textContent = call.answered_at
      ? `since ${formatTime(call.answered_at)}`
      : `since ${formatTime(call.started_at)}`;

    card.querySelector(".caller-name").textContent = name;
    const company = card.querySelector(".caller-company");
    company.textContent = companyOf(call);
    company.hidden = !company.textContent;

    card.querySelector(".call-details").replaceChildren(...detailRows(call));

    const link = card.querySelector(".crm-link");
    const url = crmURL(call);
    link.hidden = !url;
    if (url) {
      link.href = url;
      link.setAttribute("aria-label", `Open ${name} in the CRM (new tab)`);
    } else {
      link.removeAttribute("href");
    }
  }

  function detailRows(call) {
    const rows = [];
    const add = (label, value) => {
      const term = document.createElement("dt");
      term.textContent = label;
      const description = document.createElement("dd");
      description.textContent = value;
      rows.push(term, description);
    };

    add("Caller number", callerNumber(call) || "Withheld");
    const called = call.to && (call.to.e164 || call.to.raw);
    if (called) {
      add("Called number", called);
    }
    if (call.route && call.route.kind) {
      add("Routed to", [call.route.kind, call.route.target].filter(Boolean).join(" "));
    }
    const fields = (call.contact && call.contact.fields) || {};
    for (const [key, value] of Object.entries(fields)) {
      if (key !== "crm_url") {
        add(fieldLabel(key), fieldValue(value));
      }
    }
    return rows;
  }

  function renderRecent() {
    const items = state.recent.map((call) => {
      const item = byId("recent-call-template").content.firstElementChild.cloneNode(true);
      item.dataset.callId = call.id;
      item.dataset.status = call.status;
      item.querySelector(".recent-name").textContent = callerName(call);
      const number = item.querySelector(".recent-number");
      number.textContent = callerNumber(call);
      number.hidden = !number.textContent || number.textContent === callerName(call);

      const meta = [statusText(call), formatTime(call.started_at, true), formatDuration(call.duration_seconds)];
      item.querySelector(".recent-meta").textContent = meta.filter(Boolean).join(" · ");

      const link = item.querySelector(".recent-crm-link");
      const url = crmURL(call);
      if (url) {
        link.href = url;
        link.setAttribute("aria-label", `Open ${callerName(call)} in the CRM (new tab)`);
      } else {
        link.remove();
      }
      return item;
    });
    byId("recent-calls").replaceChildren(...items);
    byId("recent-empty").hidden = items.length > 0;
  }

  // Browser notifications. Permission is asked only when the agent clicks
  // "Enable notifications", as browsers expect.

  function setupNotificationButton() {
    const button = byId("enable-notifications");
    button.hidden = !("Notification" in window) || Notification.permission !== "default";
  }

  async function enableNotifications() {
    const permission = await Notification.requestPermission();
    byId("enable-notifications").hidden = permission !== "default";
    byId("announcer").textContent = permission === "granted"
      ? "Notifications are on for ringing calls."
      : "Notifications are blocked. You can allow them in the browser's site settings.";
  }

  function notify(call) {
    if (!("Notification" in window) || Notification.permission !== "granted") {
      return;
    }
    const body = [companyOf(call), callerNumber(call)].filter(Boolean).join(" · ");
    const notification = new Notification(`Incoming call: ${callerName(call)}`, {
      body,
      tag: call.id,
      icon: "/agent/icon.svg",
    });
    notification.addEventListener("click", () => {
      window.focus();
      notification.close();
    });
    state.notifications.set(call.id, notification);
  }

  function closeNotification(id) {
    const notification = state.notifications.get(id);
    if (notification) {
      notification.close();
      state.notifications.delete(id);
    }
  }

  // Start.

  function start() {
    byId("sign-in-form").addEventListener("submit", submitSignIn);
    byId("sign-out").addEventListener("click", () => signOut());
    byId("enable-notifications").addEventListener("click", enableNotifications);
    window.addEventListener("online", () => {
      if (state.session && !state.socket) {
        state.reconnectDelay = reconnectMinMillis;
        reconnect(state.generation);
      }
    });

    state.session = loadSession();
    if (state.session) {
      enterConsole();
    } else {
      showSignIn();
    }
  }

  start();
})();
