// Asserting problem documents (application/problem+json) in HTTP tests.
import type { LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';

export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail: string;
  instance?: string;
  items?: Array<{ menuItemId: string; requested: number; available: number }>;
  alternatives?: string[];
  errors?: Array<{ path: string; message: string; field?: string }>;
  from?: string;
  to?: string;
}

export function expectProblem(res: LightMyRequestResponse, status: number, code: string): Problem {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = res.json<Problem>();
  expect(body.code).toBe(code);
  expect(body.status).toBe(status);
  return body;
}
