// Hello: the first request on every connection.
//   request:  version u16 | clientId string | username string | password string
//   response: version u16 | serverId string | maxFrameBytes u32
import { BodyReader, BodyWriter } from './codec.js';

export interface HelloRequest {
  version: number;
  clientId: string;
  username: string;
  password: string;
}

export interface HelloResponse {
  version: number;
  serverId: string;
  maxFrameBytes: number;
}

export function encodeHelloRequest(m: HelloRequest): Buffer {
  return new BodyWriter().u16(m.version).string(m.clientId).string(m.username).string(m.password).finish();
}

export function decodeHelloRequest(body: Buffer): HelloRequest {
  const r = new BodyReader(body);
  const m = { version: r.u16(), clientId: r.string(), username: r.string(), password: r.string() };
  r.end();
  return m;
}

export function encodeHelloResponse(m: HelloResponse): Buffer {
  return new BodyWriter().u16(m.version).string(m.serverId).u32(m.maxFrameBytes).finish();
}

export function decodeHelloResponse(body: Buffer): HelloResponse {
  const r = new BodyReader(body);
  const m = { version: r.u16(), serverId: r.string(), maxFrameBytes: r.u32() };
  r.end();
  return m;
}
