// A deliberately broken test file: it throws while loading (see failing-assertion.test.ts).
import { it } from 'vitest';

throw new Error('this canary file throws while loading, on purpose');

it('is never reached', () => undefined);
