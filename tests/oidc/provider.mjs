// The OpenID provider of difacto's sign-in test (tests/oidc.rs): npm's oidc-provider, with
// one confidential client that must use PKCE, its development login and consent pages,
// and three accounts. It listens on 127.0.0.1 on a free port (or $PORT) and prints one
// line, `issuer=<url>`, when it serves; the test reads that line.
//
//   commissioner  difacto_org QOP, difacto_roles [icb_commissioner]: signs in
//   unmapped      difacto_org QOP, difacto_roles [librarian]: no difacto role
//   stranger      difacto_org ZZZ99, difacto_roles [icb_commissioner]: unknown organisation
//
// The claims are given from the user info endpoint (and not put in the ID token), as NHS
// CIS2 gives its role claims.
import http from 'node:http';
import Provider from 'oidc-provider';

const accounts = {
  commissioner: { difacto_org: 'QOP', difacto_roles: ['icb_commissioner'] },
  unmapped: { difacto_org: 'QOP', difacto_roles: ['librarian'] },
  stranger: { difacto_org: 'ZZZ99', difacto_roles: ['icb_commissioner'] },
};

const clientId = process.env.OIDC_CLIENT_ID ?? 'difacto';
const clientSecret = process.env.OIDC_CLIENT_SECRET ?? 'difacto-test-client-secret';

const server = http.createServer();
await new Promise((resolve) => server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    // A native client may come back to any port of the loopback address (RFC 8252
    // §7.3), so difacto can listen on a port the system picks.
    application_type: 'native',
    redirect_uris: ['http://127.0.0.1/signin/callback'],
    post_logout_redirect_uris: ['http://127.0.0.1/'],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  pkce: { required: () => true },
  claims: { openid: ['sub'], difacto: ['difacto_org', 'difacto_roles'] },
  scopes: ['openid', 'difacto'],
  features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
  cookies: { keys: ['difacto-test-provider-cookie-key'] },
  async findAccount(ctx, id) {
    const claims = accounts[id];
    if (!claims) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...claims }; } };
  },
});
// An unknown login is refused by findAccount; say so on stderr for the test's log.
provider.on('server_error', (ctx, err) => console.error('server_error', err));

server.on('request', provider.callback());
console.log(`issuer=${issuer}`);

const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
