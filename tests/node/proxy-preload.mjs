// Preload that makes Node 20's built-in fetch honour HTTPS_PROXY / NO_PROXY, the way NODE_USE_ENV_PROXY=1 does
// on Node >= 22.21 / 24.  The app's own code is untouched:
//   NODE_OPTIONS="--import ./proxy-preload.mjs" node app.mjs
// undici (pinned in package.json) is the library Node's fetch is built on; its EnvHttpProxyAgent reads the
// proxy variables, and setGlobalDispatcher installs it for every fetch in the process.
import { EnvHttpProxyAgent, setGlobalDispatcher } from 'undici';

setGlobalDispatcher(new EnvHttpProxyAgent());
