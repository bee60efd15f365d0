import { buildCatalogue, Catalogue } from './catalogue';

/**
 * The two registries Steward hosts, with the identifiers the DCI standard gives them. Each one's
 * sample record (shaped like the seeds' examples) defines which attributes queries and sorts may
 * name, and their types.
 */
export type RegistryKey = 'dr' | 'fr';
export const REGISTRY_KEYS: readonly RegistryKey[] = ['dr', 'fr'];

export interface RegistryDef {
  key: RegistryKey;
  name: string;
  regType: string;
  recordType: string;
  /** Other record type names requests may use for this registry (the seeds use older ones). */
  recordTypeAliases: string[];
  /** reg_event_type in search results' data, as in the seeds' examples. */
  searchEventType: string;
  /** Dotted path of the record's primary identifier value. */
  identifierPath: string;
  /**
   * idtype-value queries: identifier types accepted, and how a (type, value) pair is matched.
   * 'value-only': the record holds one identifier; 'typed': the record holds {identifier_type, identifier_value}.
   */
  idTypes: { types: string[] | 'any'; match: 'value-only' | 'typed'; path: string };
  /** Attribute path prefixes accepted as other names (the FR seed queries `farm_info.location`). */
  pathAliases: Record<string, string>;
  /** Whether reg_records is one object (DR) or an array (FR) in the standard's SearchResponse. */
  recordsShape: 'object' | 'array';
  sample: Record<string, unknown>;
  catalogue: Catalogue;
}

const DR_SAMPLE = {
  personal_details: {
    identifier: '123456',
    name: { first_name: 'John', last_name: 'Doe' },
    date_of_birth: '1990-05-15',
    gender: 'Male',
  },
  disability_status: 'Approved',
  disability_level: 'Severe',
  disability_details: [
    {
      impairment_type: 'Physical and movement related functions',
      impairment_level: 'Severe impairment or difficulty',
      impairment_cause: 'Work Accident',
      age_on_set: 'Working age',
    },
  ],
  disability_support: [{ human_assistance: { frequency: 'Permanent', type: 'mobility', support_status: 'Required' } }],
  transport_requirement: 'Adaptable vehical',
  housing_type: 'Social housing',
  programs_enrollments: [{ programme_name: 'financial_assistance', programme_identifier: 'AD234' }],
  // Not in the record example, but the seed's example query and sort name them.
  location: 'central_region',
  poverty_score: 45.2,
  registration_date: '2023-01-10T00:00:00Z',
  last_updated: '2023-09-20T00:00:00Z',
};

const FR_SAMPLE = {
  famer_personal_details: {
    member_identifier: { identifier_type: 'NationalID', identifier_value: 'M123456' },
    demographic_info: {
      identifier: { identifier_type: 'NationalID', identifier_value: 'M123456' },
      name: { first_name: 'John', last_name: 'Doe' },
      date_of_birth: '1990-05-15T00:00:00Z',
      gender: 'Male',
    },
  },
  family_details: {
    group_identifier: [{ identifier_type: 'NationalID', identifier_value: 'G9876543210' }],
    group_type: 'family',
    poverty_score: 45.2,
    poverty_score_type: 'income-based',
    group_head_info: {
      member_identifier: [{ identifier_type: 'NationalID', identifier_value: 'M123456' }],
      demographic_info: {
        identifier: { identifier_type: 'NationalID', identifier_value: 'M123456' },
        name: { first_name: 'John', last_name: 'Doe' },
        date_of_birth: '1990-05-15T00:00:00Z',
        gender: 'Male',
      },
      is_disabled: false,
      marital_status: 'married',
      registration_date: '1990-06-10T08:00:00Z',
    },
    group_size: 2,
    member_list: [
      {
        member_identifier: [{ '@type': 'Identifier', identifier_type: 'NationalID', identifier_value: 'M9876543210' }],
        demographic_info: {
          'spdci:identifier': [{ '@type': 'Identifier', identifier_type: 'NationalID', identifier_value: '1234567890' }],
          name: { '@type': 'Name', surname: 'Doe', given_name: 'Jane', prefix: 'Mr.', suffix: '' },
          sex: 'female',
          birth_date: '1982-03-15T00:00:00Z',
          registration_date: '2022-01-10T08:00:00Z',
        },
        is_disabled: false,
        marital_status: 'married',
        registration_date: '2022-01-10T08:00:00Z',
      },
    ],
    registration_date: '2022-01-10T08:00:00Z',
    last_updated: '2023-06-15T10:00:00Z',
  },
  farm_details: [
    {
      place: { name: 'Koh Samui', geo: { '@type': 'spdci:GeoLocation', latitude: 9.5604, longitude: 100.0245 } },
      farm_type: 'Small subsistence-oriented farms',
      farming_activities: [
        {
          crop_production: [
            {
              activity_group: 'perennial crops',
              crop_type: 'Fruit and nuts',
              variety: 'local',
              season: 'winter',
              end_use: ['Food for human consumption'],
              irrigation: true,
              irrigation_water: ['Mixed surface water and groundwater'],
              fertilizer_type: ['Organic fertilizers'],
              registration_date: '2023-01-10T00:00:00Z',
              last_updated: '2023-09-20T00:00:00Z',
            },
          ],
          animal_production: [
            {
              type: 'Sheep and goats',
              count: 10,
              livestock_system: 'Mixed system',
              registration_date: '2023-01-10T00:00:00Z',
              last_updated: '2023-09-20T00:00:00Z',
            },
          ],
          mixed_farming: true,
          agri_support_activities: ['Support activities for crop production'],
          aqua_support_activities: 'Support activities for fishing and aquaculture',
          aqua_culture: ['Marine aquafarming'],
          registration_date: '2023-01-10T00:00:00Z',
          last_updated: '2023-09-20T00:00:00Z',
        },
      ],
    },
  ],
  machineries_details: [
    {
      type: 'Machine powered equipment',
      count: 2,
      equipement_source: 'Provided by a cooperative',
      registration_date: '2022-01-10T08:00:00Z',
      last_updated: '2023-06-15T10:00:00Z',
    },
  ],
  registration_date: '2023-01-10T00:00:00Z',
  last_updated: '2023-09-20T00:00:00Z',
};

/**
 * Number attributes the registries' range queries commonly filter on, stored as generated,
 * GiST-indexed columns (migration 20261202070003); other number attributes are filtered unindexed.
 */
const NUMBER_COLUMNS: Record<RegistryKey, Record<string, string>> = {
  dr: { poverty_score: 'num_dr_poverty_score' },
  fr: {
    'family_details.poverty_score': 'num_fr_poverty_score',
    'family_details.group_size': 'num_fr_group_size',
    'farm_details.place.geo.latitude': 'num_fr_latitude',
    'farm_details.place.geo.longitude': 'num_fr_longitude',
  },
};

/**
 * String attributes the filters commonly compare for equality, stored as generated, GIN-indexed
 * `text[]` columns (migration 20261203040001, which lists the same paths and list levels).
 */
const STRING_COLUMNS: Record<RegistryKey, Record<string, string>> = {
  dr: {
    disability_status: 'str_dr_disability_status',
    disability_level: 'str_dr_disability_level',
    location: 'str_dr_location',
    'personal_details.gender': 'str_dr_gender',
    'disability_details.impairment_type': 'str_dr_impairment_type',
  },
  fr: {
    'family_details.group_type': 'str_fr_group_type',
    'farm_details.farm_type': 'str_fr_farm_type',
    'farm_details.place.name': 'str_fr_place_name',
    'farm_details.farming_activities.crop_production.crop_type': 'str_fr_crop_type',
    'machineries_details.type': 'str_fr_machinery_type',
  },
};

function catalogueOf(key: RegistryKey, sample: Record<string, unknown>): Catalogue {
  const catalogue = buildCatalogue(sample);
  for (const [path, column] of Object.entries(NUMBER_COLUMNS[key])) catalogue.get(path)!.column = column;
  for (const [path, column] of Object.entries(STRING_COLUMNS[key])) catalogue.get(path)!.stringsColumn = column;
  return catalogue;
}

export const REGISTRIES: Record<RegistryKey, RegistryDef> = {
  dr: {
    key: 'dr',
    name: 'Disability Registry',
    regType: 'ns:org:RegistryType:DR',
    recordType: 'spdci-extensions-dci:DisabledPerson',
    recordTypeAliases: [],
    searchEventType: 'spdci-common:RegistryEventType:DisabledPerson',
    identifierPath: 'personal_details.identifier',
    idTypes: { types: ['UIN', 'NationalID', 'DRN'], match: 'value-only', path: 'personal_details.identifier' },
    // The standard's look-up example queries `member.member_identifier`: the person's identifier.
    pathAliases: { 'member.member_identifier': 'personal_details.identifier' },
    recordsShape: 'object',
    sample: DR_SAMPLE,
    catalogue: catalogueOf('dr', DR_SAMPLE),
  },
  fr: {
    key: 'fr',
    name: 'Farmer Registry',
    regType: 'ns:org:RegistryType:FR',
    recordType: 'spdci-extensions-dci:Farmer',
    recordTypeAliases: ['spdci-extensions-dci:FRPerson'],
    searchEventType: 'spdci-common:RegistryEventType:FRPerson',
    identifierPath: 'famer_personal_details.member_identifier.identifier_value',
    idTypes: { types: 'any', match: 'typed', path: 'famer_personal_details.member_identifier' },
    pathAliases: { 'farm_info.location': 'farm_details.place', farm_info: 'farm_details' },
    recordsShape: 'array',
    sample: FR_SAMPLE,
    catalogue: catalogueOf('fr', FR_SAMPLE),
  },
};

export function isRegistryKey(v: string): v is RegistryKey {
  return (REGISTRY_KEYS as readonly string[]).includes(v);
}

export function acceptsRecordType(def: RegistryDef, recordType: string): boolean {
  return recordType === def.recordType || def.recordTypeAliases.includes(recordType);
}
