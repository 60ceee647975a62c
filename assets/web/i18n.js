// i18n.js: every sentence the room page shows, French first; English when
// the browser's language is English. Plain words for the person, never a
// protocol code alone. t(key, params) fills {name}-style holes with text
// (the page puts the result in textContent: nothing is ever parsed as HTML).

const FR = {
  title: 'Votre rendez-vous de bilan de compétences',
  skip: 'Aller au contenu',
  textBigger: 'Agrandir le texte',
  textSmaller: 'Réduire le texte',
  textSize: 'Taille du texte : {size} pixels',
  loading: 'Chargement de la page…',
  badLink: 'Ce lien n’est pas complet. Demandez à votre consultante ou à votre consultant de vous renvoyer le lien du rendez-vous.',
  noSecret: 'Le lien est arrivé sans sa fin (après le signe #) : la connexion reste possible, mais il faudra lire le code à voix haute.',
  noWebCrypto: 'Ce navigateur ne permet pas le chiffrement nécessaire. Essayez avec un navigateur récent (Chrome, Edge, Firefox ou Safari à jour).',
  connecting: 'Connexion en cours…',
  signingIn: 'Connexion au serveur…',
  joining: 'Entrée dans la salle…',
  inRoom: 'Vous êtes dans la salle du rendez-vous.',
  reconnecting: 'Reconnexion…',
  reconnectingIn: 'Reconnexion… (nouvel essai dans {s} s)',
  gaveUp: 'La connexion est perdue depuis 2 minutes. Vérifiez votre connexion à Internet, puis rechargez la page pour réessayer.',
  replaced: 'Vous avez ouvert le rendez-vous dans une autre fenêtre ou sur un autre appareil : cette page ne sert plus. Vous pouvez la fermer.',
  left: 'Vous avez quitté la salle.',
  leave: 'Quitter la salle',
  stateLabel: 'État de la connexion',
  members: 'Dans la salle',
  you: 'Vous',
  consultantNamed: 'Votre consultante / votre consultant, {name}',
  consultant: 'Votre consultante / votre consultant',
  beneficiary: 'La personne accompagnée',
  otherDevice: 'Un autre appareil de la personne accompagnée',
  alone: 'Vous êtes seule ou seul dans la salle pour l’instant. Votre consultante ou votre consultant va vous rejoindre.',
  joinedMsg: '{who} vient d’entrer dans la salle.',
  leftMsg: '{who} a quitté la salle.',
  lostMsg: '{who} a perdu la connexion.',
  codeTitle: 'Code de sécurité',
  codeHelp: 'Lisez ce code à voix haute. Votre consultante ou votre consultant doit voir le même code sur son écran.',
  codeQuestion: 'Est-ce le même code des deux côtés ?',
  yes: 'Oui',
  no: 'Non',
  codeConfirmed: 'Code confirmé : la conversation est protégée.',
  codeRefused: 'Vous avez répondu que les codes sont différents. Par prudence, la conversation est bloquée. Prévenez votre consultante ou votre consultant par téléphone.',
  peerAuthenticated: 'Connexion protégée avec {who}.',
  peerVerified: 'Identité de {who} confirmée.',
  peerFailed: 'La protection de la connexion avec {who} a échoué.',
  peerBlocked: 'La connexion avec {who} est bloquée : les codes n’ont pas été confirmés des deux côtés.',
  peerChangedKey: 'Attention : l’appareil de {who} a changé depuis la dernière fois. Lisez le code à voix haute avant de continuer.',
  peerOtherInvite: 'Le lien utilisé par {who} n’est pas le vôtre (c’est un autre lien de ce bilan) : comparez le code à voix haute.',
  peerRejected: '{who} a répondu que les codes sont différents. Par prudence, la conversation est bloquée.',
  peerEnded: '{who} a mis fin à la connexion protégée. Rechargez la page pour réessayer.',
  codeAnnounce: 'Un code de sécurité s’affiche : lisez-le à voix haute avec {who}.',
  chat: 'Messages',
  chatLabel: 'Votre message',
  send: 'Envoyer',
  chatNotReady: 'Les messages seront possibles quand la connexion sera protégée.',
  chatFrom: '{who} : {text}',
  chatTooLong: 'Ce message est trop long (4 000 caractères au plus).',
  err_not_member: 'Ce lien ne donne pas accès à ce rendez-vous. Demandez un nouveau lien à votre consultante ou à votre consultant.',
  err_unknown_bilan: 'Ce rendez-vous n’existe plus. Demandez un nouveau lien à votre consultante ou à votre consultant.',
  err_unknown_token: 'Ce lien n’est pas valable. Demandez un nouveau lien à votre consultante ou à votre consultant.',
  err_token_used: 'Ce lien a déjà été utilisé sur un autre appareil. Demandez un nouveau lien à votre consultante ou à votre consultant.',
  err_token_expired: 'Ce lien a expiré. Demandez un nouveau lien à votre consultante ou à votre consultant.',
  err_token_revoked: 'Ce lien a été remplacé par un plus récent. Utilisez le dernier lien reçu, ou demandez-en un nouveau.',
  err_bad_signature: 'Ce navigateur n’a pas pu prouver son identité au serveur. Rechargez la page ; si cela se répète, demandez un nouveau lien.',
  err_unknown_device: 'Le serveur ne connaît plus ce navigateur. Demandez un nouveau lien à votre consultante ou à votre consultant.',
  err_forbidden: 'Cet appareil n’a pas le droit d’ouvrir ce lien (il est enregistré comme appareil de consultant).',
  err_room_full: 'La salle est pleine (quatre appareils au plus). Fermez le rendez-vous sur un autre appareil, puis rechargez la page.',
  err_rate_limited: 'Trop d’essais de connexion. Attendez une minute, puis rechargez la page.',
  err_version_mismatch: 'Cette page n’est plus à jour. Rechargez-la.',
  err_bilan_closed: 'Ce bilan est terminé : la salle est fermée.',
  err_other: 'Le serveur a refusé une demande ({code}).',
  err_bad_bilan: 'Aucun rendez-vous n’est associé à ce lien pour ce navigateur. Demandez un nouveau lien à votre consultante ou à votre consultant.',
  callUnsupported: 'Ce navigateur ne permet pas l’appel vidéo : ni image ni son dans cette page. Pour l’appel, ouvrez ce même lien dans Chrome, Edge ou Chromium à jour, ou utilisez l’application Bilan. Les messages, les heures et les fiches fonctionnent ici.',
  callReceiveOnly: 'Ce navigateur ne peut pas envoyer votre image ni votre son : vous voyez et entendez l’autre personne, mais elle ne vous voit pas et ne vous entend pas. Pour l’appel complet, ouvrez ce même lien dans Chrome, Edge ou Chromium à jour, ou utilisez l’application Bilan.',
};

const EN = {
  title: 'Your career assessment meeting',
  skip: 'Skip to content',
  textBigger: 'Larger text',
  textSmaller: 'Smaller text',
  textSize: 'Text size: {size} pixels',
  loading: 'Loading the page…',
  badLink: 'This link is incomplete. Ask your consultant to send you the meeting link again.',
  noSecret: 'The link arrived without its end (after the # sign): you can still join, but you will have to read the code aloud.',
  noWebCrypto: 'This browser lacks the encryption this meeting needs. Try an up-to-date browser (Chrome, Edge, Firefox or Safari).',
  connecting: 'Connecting…',
  signingIn: 'Signing in to the server…',
  joining: 'Entering the room…',
  inRoom: 'You are in the meeting room.',
  reconnecting: 'Reconnecting…',
  reconnectingIn: 'Reconnecting… (next try in {s} s)',
  gaveUp: 'The connection has been lost for 2 minutes. Check your Internet connection, then reload the page to try again.',
  replaced: 'You opened the meeting in another window or on another device: this page is no longer in use. You can close it.',
  left: 'You left the room.',
  leave: 'Leave the room',
  stateLabel: 'Connection state',
  members: 'In the room',
  you: 'You',
  consultantNamed: 'Your consultant, {name}',
  consultant: 'Your consultant',
  beneficiary: 'The person being assessed',
  otherDevice: 'Another device of the person being assessed',
  alone: 'You are alone in the room for now. Your consultant will join you.',
  joinedMsg: '{who} entered the room.',
  leftMsg: '{who} left the room.',
  lostMsg: '{who} lost the connection.',
  codeTitle: 'Security code',
  codeHelp: 'Read this code aloud. Your consultant must see the same code on their screen.',
  codeQuestion: 'Is it the same code on both sides?',
  yes: 'Yes',
  no: 'No',
  codeConfirmed: 'Code confirmed: the conversation is protected.',
  codeRefused: 'You answered that the codes differ. To be safe, the conversation is blocked. Tell your consultant by phone.',
  peerAuthenticated: 'Protected connection with {who}.',
  peerVerified: 'Identity of {who} confirmed.',
  peerFailed: 'Protecting the connection with {who} failed.',
  peerBlocked: 'The connection with {who} is blocked: the codes were not confirmed on both sides.',
  peerChangedKey: 'Warning: the device of {who} changed since last time. Read the code aloud before going on.',
  peerOtherInvite: '{who} came with another link of this assessment: compare the code aloud.',
  peerRejected: '{who} answered that the codes differ. To be safe, the conversation is blocked.',
  peerEnded: '{who} ended the protected connection. Reload the page to try again.',
  codeAnnounce: 'A security code is shown: read it aloud with {who}.',
  chat: 'Messages',
  chatLabel: 'Your message',
  send: 'Send',
  chatNotReady: 'Messages will be possible once the connection is protected.',
  chatFrom: '{who}: {text}',
  chatTooLong: 'This message is too long (4,000 characters at most).',
  err_not_member: 'This link does not give access to this meeting. Ask your consultant for a new link.',
  err_unknown_bilan: 'This meeting no longer exists. Ask your consultant for a new link.',
  err_unknown_token: 'This link is not valid. Ask your consultant for a new link.',
  err_token_used: 'This link was already used on another device. Ask your consultant for a new link.',
  err_token_expired: 'This link has expired. Ask your consultant for a new link.',
  err_token_revoked: 'This link was replaced by a newer one. Use the latest link, or ask for a new one.',
  err_bad_signature: 'This browser could not prove its identity to the server. Reload the page; if it happens again, ask for a new link.',
  err_unknown_device: 'The server no longer knows this browser. Ask your consultant for a new link.',
  err_forbidden: 'This device may not open this link (it is registered as a consultant’s device).',
  err_room_full: 'The room is full (four devices at most). Close the meeting on another device, then reload the page.',
  err_rate_limited: 'Too many attempts. Wait a minute, then reload the page.',
  err_version_mismatch: 'This page is out of date. Reload it.',
  err_bilan_closed: 'This assessment is over: the room is closed.',
  err_other: 'The server refused a request ({code}).',
  err_bad_bilan: 'No meeting is linked to this link for this browser. Ask your consultant for a new link.',
  callUnsupported: 'This browser cannot hold the video call: no picture and no sound in this page. For the call, open this same link in an up-to-date Chrome, Edge or Chromium, or use the Bilan application. Messages, hours and worksheets work here.',
  callReceiveOnly: 'This browser cannot send your picture or your sound: you see and hear the other person, but they neither see nor hear you. For the whole call, open this same link in an up-to-date Chrome, Edge or Chromium, or use the Bilan application.',
};

/** Both catalogues, for the test that checks they say the same things. */
export const CATALOGUES = Object.freeze({ fr: FR, en: EN });

export const lang = (typeof navigator !== 'undefined' && /^en\b/i.test(navigator.language || '')) ? 'en' : 'fr';
const TABLE = lang === 'en' ? EN : FR;

/** The sentence for key with {holes} filled; an unknown key gives itself
 * back (visible in tests, harmless for a person). */
export function t(key, params = {}) {
  const s = TABLE[key] ?? FR[key] ?? key;
  return s.replace(/\{(\w+)\}/g, (_, k) => (k in params ? String(params[k]) : ''));
}

/** The sentence for a server error code, always in plain words. */
export function errorText(code) {
  const k = 'err_' + code;
  return (k in TABLE) ? TABLE[k] : t('err_other', { code: String(code).slice(0, 32) });
}

/** Text from the server or a peer, made safe to show: no control characters,
 * bounded length (it is only ever put in textContent). */
export function plain(s, max = 64) {
  return String(s ?? '').replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069]/g, '').slice(0, max);
}
