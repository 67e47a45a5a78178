import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  anyOriginatorEventPattern,
  capBasicRequestSubject,
  capBasicResponseSubject,
  capCertificateRequestSubject,
  capCertificateResponseSubject,
  clientCredentialsRevokedSubject,
  ecapTokenRequestSubject,
  ecapTokenResponseSubject,
  ecapTokenStatusTransitionRequestSubject,
  ecapTokenStatusTransitionResponseSubject,
  elceConnectedSubject,
  elceDisconnectedSubject,
  elceRegisteredSubject,
  elceUnregisteredSubject,
  endpointTokenRevokedSubject,
  espClientDataReplicaSubject,
  espClientDataSubject,
  espExtensionDataReplicaSubject,
  espExtensionDataSubject,
  eventSubject,
  replicaSubject,
  serviceSubject,
  type ClientCredentialKind,
} from '../../transports/bus/index.js';

describe('Kaa subjects (3/ISM)', () => {
  it('builds the subjects the RFCs name', () => {
    assert.equal(serviceSubject('cm', 'ecap', 'ep-token-request'), 'kaa.v1.service.cm.ecap.ep-token-request');
    assert.equal(replicaSubject('r-1', 'cap', 'basic-response'), 'kaa.v1.replica.r-1.cap.basic-response');
    assert.equal(eventSubject('epr', 'endpoint', 'lifecycle', 'registered'), 'kaa.v1.events.epr.endpoint.lifecycle.registered');
    assert.equal(anyOriginatorEventPattern('endpoint', 'token', 'revoked'), 'kaa.v1.events.*.endpoint.token.revoked');

    assert.equal(capBasicRequestSubject('ccm'), 'kaa.v1.service.ccm.cap.basic-request');
    assert.equal(capBasicResponseSubject('kpc-7'), 'kaa.v1.replica.kpc-7.cap.basic-response');
    assert.equal(capCertificateRequestSubject('ccm'), 'kaa.v1.service.ccm.cap.certificate-request');
    assert.equal(capCertificateResponseSubject('kpc-7'), 'kaa.v1.replica.kpc-7.cap.certificate-response');
    assert.equal(ecapTokenRequestSubject('cm'), 'kaa.v1.service.cm.ecap.ep-token-request');
    assert.equal(ecapTokenResponseSubject('kpc-7'), 'kaa.v1.replica.kpc-7.ecap.ep-token-response');
    assert.equal(ecapTokenStatusTransitionRequestSubject('cm'), 'kaa.v1.service.cm.ecap.ep-token-status-transition-request');
    assert.equal(ecapTokenStatusTransitionResponseSubject('kpc-7'), 'kaa.v1.replica.kpc-7.ecap.ep-token-status-transition-response');
    assert.equal(espClientDataSubject('dcx'), 'kaa.v1.service.dcx.esp.ClientData');
    assert.equal(espExtensionDataSubject('kpc'), 'kaa.v1.service.kpc.esp.ExtensionData');
    assert.equal(espClientDataReplicaSubject('dcx-2'), 'kaa.v1.replica.dcx-2.esp.ClientData');
    assert.equal(espExtensionDataReplicaSubject('kpc-7'), 'kaa.v1.replica.kpc-7.esp.ExtensionData');
    assert.equal(elceConnectedSubject('kpc'), 'kaa.v1.events.kpc.endpoint.connectivity.connected');
    assert.equal(elceDisconnectedSubject('kpc'), 'kaa.v1.events.kpc.endpoint.connectivity.disconnected');
    assert.equal(elceRegisteredSubject('epr'), 'kaa.v1.events.epr.endpoint.lifecycle.registered');
    assert.equal(elceUnregisteredSubject('epr'), 'kaa.v1.events.epr.endpoint.lifecycle.unregistered');
    assert.equal(endpointTokenRevokedSubject('cm'), 'kaa.v1.events.cm.endpoint.token.revoked');
    assert.equal(clientCredentialsRevokedSubject('ccm', 'basic'), 'kaa.v1.events.ccm.client-credentials.basic.revoked');
    assert.equal(clientCredentialsRevokedSubject('ccm', 'certificate'), 'kaa.v1.events.ccm.client-credentials.certificate.revoked');
  });

  it('refuses a name that is not exactly one token, as misuse', () => {
    for (const bad of ['', 'a.b', 'a b', '*', '>', 'a*', 'x>', 'tab\t', '\u0000']) {
      assert.throws(() => serviceSubject(bad, 'esp', 'ClientData'), TypeError, JSON.stringify(bad));
      assert.throws(() => espClientDataSubject(bad), TypeError, JSON.stringify(bad));
      assert.throws(() => eventSubject('kpc', 'endpoint', bad, 'x'), TypeError, JSON.stringify(bad));
    }
    assert.throws(() => clientCredentialsRevokedSubject('ccm', 'oauth' as ClientCredentialKind), TypeError);
  });
});
