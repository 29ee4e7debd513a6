import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * Custom search attributes of the namespace. Lists of servers and hosts are visibility queries over
 * these, so a list never has to touch the workflows themselves.
 */
export const NovaKind = defineSearchAttributeKey('NovaKind', SearchAttributeType.KEYWORD);
export const NovaProject = defineSearchAttributeKey('NovaProject', SearchAttributeType.KEYWORD);
export const NovaReservation = defineSearchAttributeKey('NovaReservation', SearchAttributeType.KEYWORD);
export const NovaStatus = defineSearchAttributeKey('NovaStatus', SearchAttributeType.KEYWORD);
export const NovaHost = defineSearchAttributeKey('NovaHost', SearchAttributeType.KEYWORD);

/** Every custom attribute with the type name `operatorService.addSearchAttributes` expects. */
export const CUSTOM_SEARCH_ATTRIBUTES = [NovaKind, NovaProject, NovaReservation, NovaStatus, NovaHost];
