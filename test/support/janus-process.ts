/**
 * @module test/support/janus-process
 * A private Janus SFU for scenarios (group calls): Debian's `/usr/bin/janus` in the foreground,
 * configured in a temp directory with only the VideoRoom plugin and the WebSocket transport on
 * 127.0.0.1, no admin API, no event handlers, no STUN/TURN, 100 fixed RTP ports, logging to a
 * file, and one shared secret (`janus.secret`) to hand to `sotto serve --sfu-secret-file`.
 * `requireJanus()` is the node:test `skip` option: a loud skip when Janus is missing, a failure
 * under CI=true. The code lives in the server package (sfu/janus-test-env.ts) because the
 * server's own SFU tests need it too and a package cannot import from test/.
 */
export { JanusParticipant, JanusProcess, missingJanus, requireJanus, type JanusAnswer, type JanusOptions } from '@sotto/server/janus-test-env';
