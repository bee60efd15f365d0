/**
 * DCI records whose shape strays from the catalogue (an object where a list is expected, a list
 * where a value is, nulls, missing keys, scalars in lists, a list of numbers where one belongs),
 * each with an identifier `<prefix>odd<n>` / `<prefix>drodd<n>`: what the typed columns and the
 * in-memory filter columns must read as PostgreSQL's containment and jsonpath do.
 */
export function oddFrRecords(prefix: string): Record<string, unknown>[] {
  const odd = (n: number, rest: Record<string, unknown>) => ({ famer_personal_details: { member_identifier: { identifier_type: 'NationalID', identifier_value: `${prefix}odd${n}` } }, ...rest });
  return [
    odd(1, { farm_details: { farm_type: 'Cooperative farms', place: { name: 'Lampang', geo: { latitude: 9.55 } } } }),
    odd(2, { farm_details: [{ farm_type: ['Cooperative farms'] }, 'loose', [{ farm_type: 'Cooperative farms' }]] }),
    odd(3, { family_details: { poverty_score: null, group_type: null, group_size: 3 }, machineries_details: [] }),
    odd(4, { family_details: { group_type: 'household', poverty_score: 1 }, machineries_details: [{ type: 'Hand tools', count: 2 }, 7] }),
    odd(5, { farm_details: [{ farming_activities: [{ crop_production: { crop_type: 'Rice' } }] }, { farming_activities: [{ crop_production: [{ crop_type: 'Rice', season: 'winter' }] }] }] }),
    odd(6, { family_details: { poverty_score: 99.5, group_size: 1, group_type: 'family', extra: { a: 1 } } }),
    odd(7, { family_details: [{ group_type: 'family' }], farm_details: [{ place: [{ name: 'Lampang' }], farm_type: [['Cooperative farms']] }], machineries_details: { type: 'Hand tools' } }),
    odd(9, { family_details: { group_type: 'family', group_size: 2 } }), // follows the catalogue, lacks poverty_score
    odd(10, { family_details: { poverty_score: [3, 97], group_size: 2 } }), // a list where one number belongs (validation lets it through)
    odd(8, { family_details: { group_type: ['household'] }, farm_details: [{ farming_activities: { crop_production: [{ crop_type: 'Rice' }] } }, { farming_activities: [{ crop_production: [{ crop_type: ['Rice'] }, { crop_type: 'Maize' }] }] }] }),
  ];
}

export function oddDrRecords(prefix: string): Record<string, unknown>[] {
  const identifier = (n: string) => `${prefix}drodd${n}`;
  return [
    { personal_details: { identifier: identifier('1'), gender: ['female'] }, disability_status: { value: 'Active' }, disability_details: { impairment_type: 'Visual' } },
    { personal_details: { identifier: identifier('2'), gender: { value: 'female' } }, location: null, disability_level: ['Severe'], disability_details: [{ impairment_type: 'Visual' }, { impairment_type: null }, 'Visual'] },
  ];
}
