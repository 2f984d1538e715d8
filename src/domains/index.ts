/** Built-in domains, registered with the core registry when this module is first imported. */
import { domainRegistry } from '../core/domain';
import { quadraticDomain } from './quadratic';

export { quadraticDomain } from './quadratic';

if (!domainRegistry.get(quadraticDomain.descriptor.id)) domainRegistry.register(quadraticDomain);

export { domainRegistry };
