// Gives Node the browser globals PeerJS needs: WebRTC from node-datachannel (libdatachannel, a real
// WebRTC stack with DTLS and SCTP) and WebSocket from ws.

import { RTCIceCandidate, RTCPeerConnection, RTCSessionDescription } from 'node-datachannel/polyfill';
import { WebSocket } from 'ws';

Object.assign(globalThis, { RTCPeerConnection, RTCSessionDescription, RTCIceCandidate, WebSocket });
