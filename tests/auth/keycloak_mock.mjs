// A Keycloak-shaped OIDC provider for the auth integration test, built on oauth2-mock-server
// (npm; it signs real RS256 JWTs with a fresh key and serves discovery and JWKS).
//
// usage: node keycloak_mock.mjs <path to oauth2-mock-server/dist/index.mjs> <realm> <directory JSON>
//
// Out of the box the mock serves /token, /jwks, ... at its root; here every endpoint sits
// where Keycloak puts it (/realms/<realm>/protocol/openid-connect/...), the issuer is the realm
// URL, and tokens carry Keycloak's claims: realm_access, resource_access, groups,
// preferred_username, azp, and service-account users for client credentials. The RFC 8707
// `resource` parameter becomes the audience (what a Keycloak audience mapper for the hub does).
// Prints one JSON line {"issuer": ...} when ready.
import { pathToFileURL } from "node:url";

const [modulePath, realm, directoryJson] = process.argv.slice(2);
const { OAuth2Server } = await import(pathToFileURL(modulePath).href);
const directory = JSON.parse(directoryJson); // {users: {name: {sub, roles, client_roles, groups}}, clients: {id: {...}}}

const base = `/realms/${realm}`;
const oidc = `${base}/protocol/openid-connect`;
const endpoints = {
  wellKnownDocument: `${base}/.well-known/openid-configuration`,
  token: `${oidc}/token`,
  jwks: `${oidc}/certs`,
  authorize: `${oidc}/auth`,
  userinfo: `${oidc}/userinfo`,
  revoke: `${oidc}/revoke`,
  endSession: `${oidc}/logout`,
  introspect: `${oidc}/token/introspect`,
};

const server = new OAuth2Server(undefined, undefined, { endpoints });
await server.issuer.keys.generate("RS256");
await server.start(0, "127.0.0.1");
const origin = `http://127.0.0.1:${server.address().port}`;
server.issuer.url = origin + base;

// The mock joins issuer URL and endpoint path; Keycloak's paths already contain the realm.
server.service.on("beforeWellKnownOpenIdConfiguration", (response) => {
  for (const [name, value] of Object.entries(response.body)) {
    if (typeof value === "string" && value.startsWith(origin + base + base)) {
      response.body[name] = origin + value.slice((origin + base).length);
    }
  }
});

server.service.on("beforeTokenSigning", (token, req) => {
  const body = req.body ?? {};
  const clientId = body.client_id;
  const payload = token.payload;
  let entry;
  if (body.grant_type === "client_credentials") {
    entry = directory.clients?.[clientId] ?? {};
    payload.sub = entry.sub ?? `service-account-user-${clientId}`;
    payload.preferred_username = `service-account-${clientId}`;
    payload.client_id = clientId;
  } else {
    entry = directory.users?.[body.username] ?? {};
    payload.sub = entry.sub ?? body.username;
    payload.preferred_username = body.username;
    payload.groups = entry.groups ?? [];
  }
  payload.typ = "Bearer";
  payload.azp = clientId;
  payload.realm_access = { roles: ["default-roles-" + realm, ...(entry.roles ?? [])] };
  payload.resource_access = {
    account: { roles: ["manage-account", "view-profile"] },
    ...Object.fromEntries(Object.entries(entry.client_roles ?? {}).map(([c, roles]) => [c, { roles }])),
  };
  if (body.resource) {
    payload.aud = body.resource;
  } else {
    delete payload.aud;
  }
});

process.stdout.write(JSON.stringify({ issuer: server.issuer.url }) + "\n");
const stop = async () => {
  await server.stop();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
