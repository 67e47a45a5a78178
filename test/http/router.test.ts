/** The route table without a socket: matching, precedence, 404 vs 405, decoding. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Router, templateParams, type Routable } from '../../transports/http/router.js';

type R = Routable & { id: string };
const r = (method: R['method'], path: string, id: string): R => ({ method, path, id });

describe('router', () => {
  const router = new Router<R>([
    r('GET', '/', 'root'),
    r('GET', '/a/{x}/c', 'param'),
    r('POST', '/a/b/c', 'static-post'),
    r('DELETE', '/a/{y}/{z}', 'two'),
    r('GET', '/files/{name}', 'file'),
  ]);

  it('matches static segments before parameters, with backtracking', () => {
    const m = router.match('GET', '/a/b/c');
    assert.deepEqual(m, { kind: 'found', route: r('GET', '/a/{x}/c', 'param'), params: { x: 'b' } });
    assert.equal((router.match('POST', '/a/b/c') as { route: R }).route.id, 'static-post');
    assert.deepEqual((router.match('DELETE', '/a/b/c') as { params: unknown }).params, { y: 'b', z: 'c' });
    assert.equal((router.match('GET', '/') as { route: R }).route.id, 'root');
  });

  it('tells 404 from 405 and lists every method the path answers', () => {
    assert.deepEqual(router.match('GET', '/nope'), { kind: 'not-found' });
    assert.deepEqual(router.match('GET', '/a/b'), { kind: 'not-found' });
    assert.deepEqual(router.match('PUT', '/a/b/c'), { kind: 'method-not-allowed', allow: ['GET', 'HEAD', 'POST', 'DELETE', 'OPTIONS'] });
    assert.deepEqual(router.match('POST', '/a/q/c'), { kind: 'method-not-allowed', allow: ['GET', 'HEAD', 'DELETE', 'OPTIONS'] });
    assert.deepEqual(router.allow('/files/x'), ['GET', 'HEAD', 'OPTIONS']);
    assert.deepEqual(router.allow('/files'), []);
  });

  it('answers HEAD from GET', () => {
    assert.equal((router.match('HEAD', '/files/a') as { route: R }).route.id, 'file');
  });

  it('decodes parameter values only, so %2F stays inside a value', () => {
    assert.deepEqual((router.match('GET', '/files/a%2Fb%20c') as { params: unknown }).params, { name: 'a/b c' });
    assert.deepEqual(router.match('GET', '/files/%ZZ'), { kind: 'bad-path', param: 'name' });
    assert.deepEqual(router.match('GET', '/files/%C3'), { kind: 'bad-path', param: 'name' });
  });

  it('never binds an empty segment', () => {
    assert.deepEqual(router.match('GET', '/files/'), { kind: 'not-found' });
    assert.deepEqual(router.match('GET', '/a//c'), { kind: 'not-found' });
  });

  it('refuses malformed templates and duplicate routes', () => {
    assert.deepEqual(templateParams('/x/{a}/y/{b_2}'), ['a', 'b_2']);
    assert.throws(() => templateParams('x'), /must start with "\/"/);
    assert.throws(() => templateParams('/a/{id}/{id}'), /names parameter \{id\} twice/);
    assert.throws(() => templateParams('/a/{1x}'), /segment "\{1x\}"/);
    assert.throws(() => templateParams('/a/%20'), /segment "%20"/);
    assert.throws(() => new Router<R>([r('GET', '/a/{x}', '1'), r('GET', '/a/{y}', '2')]), /two routes answer GET \/a\/\{y\}/);
  });
});
