// The hello app's environment, declared once. The schema is the default
// export: `slipway env check | example | docs` and `slipway deploy` (through
// app.envSchema in slipway.yaml) read it without validating anything. `env`
// is the validated, typed, frozen result the app imports:
//
//   import { env } from "./env.js";
//   server.listen(env.PORT);
//
// A missing or malformed variable stops the app at startup with every
// problem listed; API_TOKEN prints as [redacted] (env.API_TOKEN.reveal()
// gives its value). See docs/app-env.md.
import { defineEnv, envSchema, oneOf, port, secret, str } from "slipway/env";

export const schema = envSchema({
  PORT: port({ description: "Port to listen on; Slipway sets it for every instance.", default: 3000 }),
  LOG_LEVEL: oneOf(["debug", "info", "warn", "error"], { description: "How much to log.", default: "info" }),
  GREETING: str({ description: "The message the app answers with.", default: "hello" }),
  API_TOKEN: secret({ description: "Token for the upstream API; calls to it are skipped without one.", optional: true }),
});

export default schema;

export const env = defineEnv(schema);
