import type { RegistryKey } from '../../domain/dci/registries';

/**
 * Synthetic, realistic registry records shaped like the seeds' examples (DR DisabledPerson, FR
 * Farmer), reproducible from a seed. Identifiers embed the seed, so separate runs never collide.
 */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIRST = ['John', 'Jane', 'Amina', 'Somchai', 'Maria', 'Kwame', 'Lina', 'Arjun', 'Nadia', 'Tomas', 'Fatima', 'Chen', 'Grace', 'Omar', 'Priya', 'Luis', 'Mei', 'Yusuf', 'Ana', 'Sipho'];
const LAST = ['Doe', 'Okafor', 'Srisuk', 'Garcia', 'Mensah', 'Haddad', 'Patel', 'Novak', 'Rahman', 'Wong', 'Mwangi', 'Silva', 'Kim', 'Nguyen', 'Dube', 'Ivanova', 'Lopez', 'Ali', 'Boateng', 'Tan'];

const DR = {
  status: ['Approved', 'Approved', 'Approved', 'Pending', 'Under review', 'Rejected'],
  level: ['Mild', 'Moderate', 'Severe', 'Profound'],
  impairmentType: ['Physical and movement related functions', 'Seeing functions', 'Hearing functions', 'Mental functions', 'Voice and speech functions', 'Self-care'],
  impairmentLevel: ['Some difficulty', 'A lot of difficulty', 'Severe impairment or difficulty', 'Cannot do at all'],
  cause: ['Congenital', 'Disease', 'Work Accident', 'Road accident', 'Ageing', 'Conflict'],
  onset: ['Birth', 'Childhood', 'Working age', 'Old age'],
  supportType: ['mobility', 'personal care', 'communication', 'household tasks'],
  supportFrequency: ['Permanent', 'Daily', 'Weekly', 'Occasional'],
  supportStatus: ['Required', 'Provided', 'Not required'],
  transport: ['Adaptable vehical', 'Public transport with assistance', 'None'],
  housing: ['Social housing', 'Private rental', 'Owner occupied', 'Assisted living'],
  programmes: ['financial_assistance', 'assistive_devices', 'vocational_training', 'health_insurance'],
  location: ['central_region', 'northern_region', 'southern_region', 'eastern_region', 'western_region'],
};

const FR = {
  places: [
    ['Koh Samui', 9.5604, 100.0245], ['Chiang Mai', 18.7883, 98.9853], ['Khon Kaen', 16.4419, 102.836], ['Nakhon Ratchasima', 14.9799, 102.0978],
    ['Udon Thani', 17.4138, 102.787], ['Surat Thani', 9.1382, 99.3215], ['Lampang', 18.2888, 99.4908], ['Phitsanulok', 16.8211, 100.2659],
  ] as [string, number, number][],
  farmType: ['Small subsistence-oriented farms', 'Family commercial farms', 'Large commercial farms', 'Cooperative farms'],
  activityGroup: ['perennial crops', 'annual crops', 'plant propagation'],
  cropType: ['Cereals', 'Vegetables and melons', 'Fruit and nuts', 'Oilseed crops', 'Root/tuber crops', 'Rice'],
  season: ['winter', 'summer', 'rainy'],
  endUse: ['Food for human consumption', 'Animal feed', 'Industrial use', 'Seed'],
  water: ['Surface water', 'Groundwater', 'Mixed surface water and groundwater', 'Rainwater harvesting'],
  fertilizer: ['Organic fertilizers', 'Inorganic fertilizers', 'None'],
  animal: ['Cattle', 'Sheep and goats', 'Pigs', 'Poultry', 'Buffalo'],
  livestock: ['Mixed system', 'Grazing system', 'Industrial system'],
  machinery: ['Machine powered equipment', 'Animal powered equipment', 'Hand tools'],
  source: ['Owned', 'Rented', 'Provided by a cooperative'],
  groupType: ['family', 'household'],
  marital: ['married', 'single', 'widowed', 'divorced'],
};

function isoDate(rand: () => number, fromYear: number, toYear: number, withTime: boolean): string {
  const from = Date.UTC(fromYear, 0, 1);
  const to = Date.UTC(toYear, 11, 31);
  const d = new Date(from + Math.floor(rand() * (to - from)));
  const iso = d.toISOString();
  return withTime ? `${iso.slice(0, 19)}Z` : iso.slice(0, 10);
}

function drRecord(rand: () => number, identifier: string): Record<string, unknown> {
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)];
  const registered = isoDate(rand, 2015, 2024, true);
  return {
    personal_details: {
      identifier,
      name: { first_name: pick(FIRST), last_name: pick(LAST) },
      date_of_birth: isoDate(rand, 1940, 2015, false),
      gender: pick(['Male', 'Female']),
    },
    disability_status: pick(DR.status),
    disability_level: pick(DR.level),
    disability_details: Array.from({ length: 1 + Math.floor(rand() * 2) }, () => ({
      impairment_type: pick(DR.impairmentType),
      impairment_level: pick(DR.impairmentLevel),
      impairment_cause: pick(DR.cause),
      age_on_set: pick(DR.onset),
    })),
    disability_support: [{ human_assistance: { frequency: pick(DR.supportFrequency), type: pick(DR.supportType), support_status: pick(DR.supportStatus) } }],
    transport_requirement: pick(DR.transport),
    housing_type: pick(DR.housing),
    programs_enrollments: [{ programme_name: pick(DR.programmes), programme_identifier: `AD${100 + Math.floor(rand() * 900)}` }],
    location: pick(DR.location),
    poverty_score: Math.round(rand() * 1000) / 10,
    registration_date: registered,
    last_updated: registered,
  };
}

function frRecord(rand: () => number, identifier: string): Record<string, unknown> {
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)];
  const id = (prefix: string) => `${prefix}${Math.floor(rand() * 1e10).toString().padStart(10, '0')}`;
  const first = pick(FIRST);
  const last = pick(LAST);
  const dob = isoDate(rand, 1945, 2004, true);
  const gender = pick(['Male', 'Female']);
  const headId = { identifier_type: 'NationalID', identifier_value: identifier };
  const registered = isoDate(rand, 2015, 2024, true);
  const groupSize = 1 + Math.floor(rand() * 6);
  const [placeName, lat, lon] = pick(FR.places);
  const jitter = () => Math.round((rand() - 0.5) * 2000) / 10000;
  return {
    famer_personal_details: {
      member_identifier: headId,
      demographic_info: { identifier: headId, name: { first_name: first, last_name: last }, date_of_birth: dob, gender },
    },
    family_details: {
      group_identifier: [{ identifier_type: 'NationalID', identifier_value: id('G') }],
      group_type: pick(FR.groupType),
      poverty_score: Math.round(rand() * 1000) / 10,
      poverty_score_type: 'income-based',
      group_head_info: {
        member_identifier: [headId],
        demographic_info: { identifier: headId, name: { first_name: first, last_name: last }, date_of_birth: dob, gender },
        is_disabled: rand() < 0.08,
        marital_status: pick(FR.marital),
        registration_date: registered,
      },
      group_size: groupSize,
      member_list: Array.from({ length: Math.min(groupSize - 1, 2) }, () => ({
        member_identifier: [{ '@type': 'Identifier', identifier_type: 'NationalID', identifier_value: id('M') }],
        demographic_info: {
          'spdci:identifier': [{ '@type': 'Identifier', identifier_type: 'NationalID', identifier_value: id('') }],
          name: { '@type': 'Name', surname: last, given_name: pick(FIRST), prefix: '', suffix: '' },
          sex: pick(['male', 'female']),
          birth_date: isoDate(rand, 1950, 2020, true),
          registration_date: registered,
        },
        is_disabled: rand() < 0.05,
        marital_status: pick(FR.marital),
        registration_date: registered,
      })),
      registration_date: registered,
      last_updated: registered,
    },
    farm_details: [
      {
        place: { name: placeName, geo: { '@type': 'spdci:GeoLocation', latitude: Math.round((lat + jitter()) * 1e4) / 1e4, longitude: Math.round((lon + jitter()) * 1e4) / 1e4 } },
        farm_type: pick(FR.farmType),
        farming_activities: [
          {
            crop_production: [
              {
                activity_group: pick(FR.activityGroup),
                crop_type: pick(FR.cropType),
                variety: pick(['local', 'improved', 'hybrid']),
                season: pick(FR.season),
                end_use: [pick(FR.endUse)],
                irrigation: rand() < 0.5,
                irrigation_water: [pick(FR.water)],
                fertilizer_type: [pick(FR.fertilizer)],
                registration_date: registered,
                last_updated: registered,
              },
            ],
            animal_production: [
              { type: pick(FR.animal), count: 1 + Math.floor(rand() * 40), livestock_system: pick(FR.livestock), registration_date: registered, last_updated: registered },
            ],
            mixed_farming: rand() < 0.4,
            agri_support_activities: ['Support activities for crop production'],
            aqua_support_activities: 'Support activities for fishing and aquaculture',
            aqua_culture: rand() < 0.2 ? ['Marine aquafarming'] : ['Freshwater aquaculture'],
            registration_date: registered,
            last_updated: registered,
          },
        ],
      },
    ],
    machineries_details: [
      { type: pick(FR.machinery), count: 1 + Math.floor(rand() * 3), equipement_source: pick(FR.source), registration_date: registered, last_updated: registered },
    ],
    registration_date: registered,
    last_updated: registered,
  };
}

/** `count` records from `seed`, starting at record `start` of that seed's sequence. */
export function generateRecords(registry: RegistryKey, count: number, seed: number, start = 0): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (let i = start; i < start + count; i++) {
    const rand = prng(seed * 1_000_003 + i);
    const identifier = `${registry === 'dr' ? 'DR' : 'M'}${String(seed).padStart(6, '0')}${String(i).padStart(7, '0')}`;
    out.push(registry === 'dr' ? drRecord(rand, identifier) : frRecord(rand, identifier));
  }
  return out;
}
