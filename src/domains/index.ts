/** Built-in domains, registered with the core registry when this module is first imported. */
import { domainRegistry } from '../core/domain';
import { bostonHousingDomain } from './bostonHousing';
import { mackeyGlassDomain } from './mackeyGlass';
import { quadraticDomain } from './quadratic';

export { bostonHousingDomain } from './bostonHousing';
export { mackeyGlassDomain } from './mackeyGlass';
export { quadraticDomain } from './quadratic';

for (const plugin of [quadraticDomain, mackeyGlassDomain, bostonHousingDomain]) {
  if (!domainRegistry.get(plugin.descriptor.id)) domainRegistry.register(plugin);
}

export { domainRegistry };
