/** Dedicated module worker that runs the local simulation (see simulationEngine.ts). */
import { expose } from 'comlink';
import { createSimulationEngine } from './simulationEngine';

expose(createSimulationEngine());
