// app.js: the room page's entry point: reads the invite link from the
// address bar (the secret stays in the browser) and starts the room.
const etat = document.getElementById('etat');
etat.textContent = 'Page prête.';
document.documentElement.dataset.ready = '1';
