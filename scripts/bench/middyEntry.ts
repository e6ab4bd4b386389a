import { containerAppContext } from '../../lambda/app/context';
import { createMiddyIndex } from './middyIndex';

/** The Middy index as a function's entry, for the cold-start part: built at load, as ours is. */
const index = createMiddyIndex(containerAppContext());

export const handler: Awaited<typeof index> = async (event, context) => (await index)(event, context);
