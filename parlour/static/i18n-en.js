// @ts-check
/**
 * English: the page's own words, and what every other catalogue translates (docs/translating.md).
 * Keys are grouped by the part of the page they belong to. `{name}` is a placeholder; an object
 * is a plural message, its form chosen by the `count` parameter (Intl.PluralRules categories).
 */

export default {
  // The pre-join screen (index.html #prejoin, prejoin.js)
  "prejoin.preview": "Camera preview",
  "prejoin.level": "Microphone level",
  "prejoin.title": "Join a room",
  "prejoin.name": "Your name",
  "prejoin.passphrase": "Passphrase",
  "prejoin.linkNote": "Your link carried the passphrase. It stays on this device: the server never sees it.",
  "prejoin.tryAgain": "Try again",
  "prejoin.join": "Join",
  "prejoin.needName": "Please type your name.",
  "prejoin.needPassphrase": "Please type the passphrase.",
  "prejoin.cameraNotAllowed": "Camera not allowed",
  "prejoin.noCamera": "No camera",
  "prejoin.cameraIsOff": "Your camera is off",
  "prejoin.mute": "Mute microphone",
  "prejoin.unmute": "Unmute microphone",
  "prejoin.cameraOff": "Turn camera off",
  "prejoin.cameraOn": "Turn camera on",

  // Why this browser cannot take part (prejoin.js unsupported())
  "browser.insecure": "Calls need a secure connection: open this page through its https:// address.",
  "browser.noCalls": "This browser cannot make calls. Please open this page in a recent Firefox, Chrome, Edge or Safari.",

  // Camera and microphone trouble before joining (prejoin.js)
  "media.denied":
    "Parlour may not use your camera and microphone. To allow them, select the camera or lock icon beside the address, allow both, then press Try again. Or join without them: you will see and hear the others, but they will not see or hear you.",
  "media.noDevices":
    "No camera or microphone was found. You can still join to watch and listen; the others will not see or hear you.",
  "media.inUse":
    "Your camera or microphone is being used by another app. Close that app and press Try again, or join without them.",
  "media.unsupported": "This browser cannot use a camera or microphone on this page. You can still join to watch and listen.",
  "media.noCamera": "No camera was found, so you will join with sound only.",
  "media.noMicrophone": "No microphone was found: the others will see you but not hear you.",

  // Why a join was refused (prejoin.js joinError())
  "join.noSuchRoom": "That passphrase does not open a room here. Check it and try again.",
  "join.roomLocked":
    "This room is locked: the people in it have closed it to newcomers. Ask them to unlock it, then try again.",
  "join.roomFull": "The room is full. Try again when someone has left.",
  "join.lockedOut": {
    one: "Too many wrong passphrases came from your network, so joining is paused for a while. Wait a minute, then try again.",
    other:
      "Too many wrong passphrases came from your network, so joining is paused for a while. Wait {count} minutes, then try again.",
  },
  "join.lockedOutWhile":
    "Too many wrong passphrases came from your network, so joining is paused for a while. Wait a while, then try again.",
  "join.rateLimited": "Too many attempts at once. Wait a moment, then try again.",
  "join.tooManyConnections":
    "Too many connections from your network to this server. Close other Parlour tabs, or try again in a minute.",
  "join.closed": "Could not reach the server. Check your network connection and try again.",
  "join.refused": "The server refused to let you in ({code}).",
  "join.weakWelcome": "{reason} This page did not use your passphrase with it. Tell whoever runs this server.",

  // What the page checks in the server's welcome (signaling.js, crypto.js)
  "welcome.protocol": "This server speaks protocol {server} and this page speaks {page}. Reload the page.",
  "welcome.fewRounds": "The server asked for a key stretch of {rounds} rounds, below the {floor} this page allows.",
  "welcome.manyRounds": "The server asked for a key stretch of {rounds} rounds, more than the {ceiling} this page allows.",
  "welcome.salt": "The server's salt is not {bytes} bytes of base64url.",

  // Device choices, before joining and in Settings (pickers.js, dialogs.js)
  "devices.camera": "Camera",
  "devices.microphone": "Microphone",
  "devices.speaker": "Speaker",
  "devices.cameraNumber": "Camera {number}",
  "devices.microphoneNumber": "Microphone {number}",
  "devices.speakerNumber": "Speaker {number}",
  "devices.noCamera": "No camera found",
  "devices.noMicrophone": "No microphone found",
  "devices.noSpeaker": "No speaker found",
  "devices.cameraFailed": "That camera could not be started. It may be in use by another app.",
  "devices.microphoneFailed": "That microphone could not be started. It may be in use by another app.",
  "devices.processingFailed": "Your browser would not change that setting for this microphone.",

  // How long someone has waited (elapsed.js)
  "elapsed.lessThanAMinute": "less than a minute",
  "elapsed.hoursMinutes": "{hours} {minutes}",

  // The visitor's side of the front door (index.html #door-form, #door-waiting; door.js)
  "door.title": "Ask for a call",
  "door.to": "Who would you like to reach?",
  "door.ask": "Ask for a call",
  "door.needName": "Please type your name.",
  "door.needTo": "Please type the name of the person you would like to reach.",
  "door.asking": "Asking for a call",
  "door.askingWhom": "Asking {name} for a call",
  "door.calm": "The call starts by itself as soon as they answer. You can leave this page open in the background.",
  "door.waitedBrief": "Waiting for less than a minute",
  "door.waited": "Waiting for {time}",
  "door.reconnecting": "Reconnecting to the server…",
  "door.cancel": "Cancel",
  "door.declined": "{name} can't take your call just now. You can ask again later.",
  "door.declinedNoName": "They can't take your call just now. You can ask again later.",

  // The host's desk (index.html #desk, desk.js, frontdoor.js)
  "desk.title": "Your front door",
  "desk.back": "Back to the call",
  "desk.hostName": "Your name in calls",
  "desk.notifyMe": "Notify me when someone knocks",
  "desk.waitingForYou": "Waiting for you",
  "desk.empty":
    "Nobody is waiting. Keep this page open: a sound, a notification and the count in the tab's title tell you when someone knocks.",
  "desk.someone": "Someone without a name",
  "desk.notOnList": "Not on your list",
  "desk.about": "About {name}",
  "desk.askedFor": "Asked for {name}",
  "desk.country": "{country} ({code})",
  "desk.waitedBrief": "Waiting for less than a minute",
  "desk.waited": "Waiting for {time}",
  "desk.call": "Call",
  "desk.callWhom": "Call {name}",
  "desk.decline": "Decline",
  "desk.declineWhom": "Decline {name}",
  "desk.dismiss": "Dismiss",
  "desk.dismissWhom": "Dismiss {name}",
  "desk.pageTitle": "({count}) Parlour",
  "desk.host": "Host",
  "desk.notification": "{name} is waiting",
  "desk.notificationNoName": "Someone is waiting",
  "desk.notificationExpected": "Open Parlour to call them.",
  "desk.notificationUnexpected": "Not on your list.",
  "desk.connecting": "Connecting…",
  "desk.reconnecting": "Reconnecting to the server… Who is waiting shows again once it is back.",
  "desk.connectionDown": "The connection to the server is down; wait until it is back.",
  "desk.waitingButton": "Waiting ({count})",
  "desk.whoIsWaiting": "Who is waiting",

  // What a host reads when the server refuses their page or an answer (frontdoor.js)
  "deskError.notExpected": "Only people on your list can be called.",
  "deskError.noSuchVisitor": "They are no longer waiting.",
  "deskError.roomFull": "Your call is full. Someone has to leave before you can call anyone else.",
  "deskError.alreadyJoined": "Leave the room you are in before you call a visitor.",
  "deskError.notAHost": "This address does not open a host's page. Check the address you were given.",
  "deskError.lockedOut": "Too many wrong addresses came from your network, so this page is paused for a while.",
  "deskError.closed": "Could not reach the server. Reload the page to try again.",
  "deskError.refusedThat": "The server refused that ({code}).",
  "deskError.refusedPage": "The server refused this page ({code}).",

  // The super-host's list of attempts that went wrong (index.html #audit, desk.js)
  "audit.title": "Attempts that went wrong",
  "audit.time": "Time",
  "audit.address": "Address",
  "audit.country": "Country",
  "audit.event": "What happened",
  "audit.what": "What was tried",
  "audit.unexpectedName": "A name not on the list",
  "audit.unknownHost": "Asked for someone who is not here",
  "audit.countryRefused": "From a country not allowed",
  "audit.knockLimit": "Knocked too often",
  "audit.listFull": "Dropped from a full list",
  "audit.wrongPassphrase": "Wrong passphrase",
  "audit.badHostSecret": "Wrong host page address",
  "audit.lockout": "Locked out after repeated failures",
  "audit.connectionLimit": "Too many connections",
  "audit.probe": "Asked for a page that does not exist",

  // The front-door call's safety code (safety.js, index.html #safety-notice)
  "safety.compare": "Compare this code aloud with {name}: {code}. If it matches, nobody is listening in.",
  "safety.codes": "Safety codes",
  "safety.close": "Close the safety code",

  // The call (index.html #call); the modules that word it are converted next
  "call.title": "In the room",
  "call.people": "People in the call",
  "call.sharing": "You are sharing your screen",
  "call.stopSharing": "Stop sharing",
  "call.dismiss": "Dismiss",
  "call.waitingForOthers": "Waiting for others to join",
  "call.copyLink": "Copy join link",
  "call.showQr": "Show QR code",
  "call.hideQr": "Hide QR code",
  "call.qrLabel": "QR code of the join link",
  "call.qrUnavailable": "QR code unavailable: try again",
  "call.qrCaption": "Point a phone's camera at it to join.",
  "call.controls": "Call controls",
  "call.switchCamera": "Switch camera",
  "call.sendFile": "Send a file",
  "call.settings": "Settings",
  "call.shortcuts": "Keyboard shortcuts",
  "call.leave": "Leave call",

  // Files (index.html #files)
  "files.title": "Files",
  "files.clear": "Clear finished",
  "files.problems": "File problems",
  "files.list": "Files sent and received",
  "files.drop": "Drop files to send them to everyone",

  // Chat (index.html #chat)
  "chat.title": "Chat",
  "chat.messages": "Messages",
  "chat.empty": "Messages go to everyone in the call, sealed end to end, and are not kept after it.",
  "chat.message": "Message",
  "chat.placeholder": "Message everyone",
  "chat.send": "Send",

  // Settings (index.html #settings)
  "settings.title": "Settings",
  "settings.sound": "Sound from your microphone",
  "settings.noiseSuppression": "Noise suppression",
  "settings.echoCancellation": "Echo cancellation",
  "settings.autoGainControl": "Automatic gain control",
  "dialog.close": "Close",

  // Keyboard shortcuts (index.html #shortcuts)
  "shortcuts.title": "Keyboard shortcuts",
  "shortcuts.mic": "Mute or unmute your microphone",
  "shortcuts.camera": "Turn your camera off or on",
  "shortcuts.share": "Share your screen, or stop sharing",
  "shortcuts.chat": "Open the chat and go to the message box",
  "shortcuts.fullscreen": "Full screen on or off",
  "shortcuts.pin": "Pin whoever is speaking, or unpin",
  "shortcuts.lock": "Lock the room to newcomers, or unlock it",
  "shortcuts.help": "Show this list",
  "shortcuts.escape": "Close a dialog or connection details",
  "shortcuts.move": "Move along the control bar",
  "shortcuts.typing": "Shortcuts do nothing while you are typing in a text field.",

  // A person's tile and its connection details (tiles.js)
  "tile.you": "{name} (you)",
  "tile.pin": "Pin {name}",
  "tile.details": "Connection details for {name}",
  "tile.sendFile": "Send a file to {name}",
  "tile.fill": "Fill the tile",
  "tile.fit": "Fit the screen",
  "tile.micOff": "Microphone off",
  "tile.cameraOff": "Camera off",
  "tile.good": "Connection good",
  "tile.fair": "Connection fair",
  "tile.poor": "Connection poor",
  "tile.notMeasured": "Connection not measured yet",
  "tile.measuring": "Measuring…",
  "tile.route": "Route",
  "tile.roundTrip": "Round trip",
  "tile.packetLoss": "Packet loss",
  "tile.receiving": "Receiving",
  "tile.sending": "Sending",
  "tile.video": "Video",
  "tile.noVideo": "None",
  "tile.safetyCode": "Safety code",
  "tile.notKnownYet": "Not known yet",
  "tile.milliseconds": "{value} ms",
  "tile.percent": "{value} %",
  "tile.kbps": "{value} kbit/s",
  "tile.compare": "Compare these digits aloud with {name}. If you both see the same, nobody is listening in between.",

  // The call's control bar (controls.js): each name says what a press does
  "controls.mute": "Mute microphone",
  "controls.unmute": "Unmute microphone",
  "controls.noMicrophone": "No microphone",
  "controls.cameraOff": "Turn camera off",
  "controls.cameraOn": "Turn camera on",
  "controls.noCamera": "No camera",
  "controls.share": "Share screen",
  "controls.stopSharing": "Stop sharing screen",
  "controls.fullscreen": "Full screen",
  "controls.exitFullscreen": "Exit full screen",
  "controls.lock": "Lock room",
  "controls.unlock": "Unlock room",
  "controls.flipFailed": "The other camera could not be started.",
  "controls.cameraFailed": "The camera could not be started. It may be in use by another app.",
  "controls.shareFailed": "The screen could not be shared.",
  "controls.fullscreenFailed": "This browser would not go full screen.",

  // What the call says when it refuses a message (call.js)
  "warning.unopenable": "A message that could not be opened was ignored. Someone may be tampering with the connection.",
  "warning.replay": "A message that arrived twice was ignored. Someone may be replaying old messages.",
  "warning.malformed": "A message that made no sense was ignored.",
  "warning.mismatch": "Someone's key did not match the one they had promised, so it was refused. Someone may be tampering with the connection.",
  "warning.server": "The server sent a message that made no sense; it was ignored.",
  "warning.certificate": "A connection offer named a certificate other than the one its sender announced, so it was refused. Someone may be tampering with the connection.",

  // The way a connection goes, in its details (mesh.js)
  "route.direct": "Direct",
  "route.stun": "Direct, via STUN",
  "route.relayed": "Relayed over {protocol}",
  "route.relayedForPrivacy": "Relayed for privacy, over {protocol}",
  "route.relayedTheirSide": "Relayed on their side",

  // Lines in the chat (chatpanel.js)
  "chat.from": "{name}: ",
  "chat.sentFile": "{name} sent {file}",
};
