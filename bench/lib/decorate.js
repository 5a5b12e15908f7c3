'use strict';
// Applies legacy (TypeScript-style) method decorators from plain JavaScript, the way `tsc` does.

/** Decorates `cls.prototype[key]` with `decorators` (listed top to bottom, as in source). */
function decorateMethod(cls, key, decorators) {
  const descriptor = Object.getOwnPropertyDescriptor(cls.prototype, key);
  const result = Reflect.decorate(decorators, cls.prototype, key, descriptor);
  Object.defineProperty(cls.prototype, key, result ?? descriptor);
}

module.exports = { decorateMethod };
